using Wharf.Auth;
using Wharf.Distribution;

namespace Wharf.Api;

/// <summary>Maps <c>/v2/</c> and dispatches each request to the endpoint of its resource.</summary>
internal static class RegistryApi
{
    public static IEndpointRouteBuilder MapRegistryApi(this IEndpointRouteBuilder app)
    {
        app.Map("/v2", DispatchAsync);
        app.Map("/v2/{**rest}", DispatchAsync);
        // Anything outside the API is still answered with the spec's error body.
        app.MapFallback("{**path}", context => throw new RegistryException(ErrorCode.Unsupported, $"no resource at {context.Request.Path}", status: 404));
        return app;
    }

    private static async Task DispatchAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var rest = path.Length <= 4 ? "" : path[4..];
        if (!RegistryRoute.TryParse(rest, out var route))
        {
            throw new RegistryException(ErrorCode.Unsupported, $"no resource at {path}", status: 404);
        }
        var method = context.Request.Method;
        context.Features.Get<Observability.RequestFacts>()?.Describe(route, method, context.Request.Query);
        // Read-only mode refuses writes before anything else, as distribution does (405 UNSUPPORTED).
        if (method is not ("GET" or "HEAD") && context.RequestServices.GetRequiredService<Operations.IReadOnlyMode>().IsReadOnly)
        {
            throw new RegistryException(ErrorCode.Unsupported, "the registry is read-only (maintenance); pulls still work", StatusCodes.Status405MethodNotAllowed);
        }
        await AuthorizeAsync(context, route, method);
        // Repositories under an upstream's prefix are the pull-through cache's.
        if (Proxy.ProxyEndpoints.Match(context, route) is { } proxied && Proxy.ProxyEndpoints.HandleAsync(context, route, method, proxied) is { } proxying)
        {
            await proxying;
            return;
        }
        // Requests that carry a blob body count against the client's upload cap.
        using var upload = route.Kind is RouteKind.Upload or RouteKind.UploadStart && method is "POST" or "PATCH" or "PUT"
            ? context.RequestServices.GetRequiredService<UploadConcurrency>().Enter(context.Connection.RemoteIpAddress)
            : default;
        var handling = (route.Kind, method) switch
        {
            (RouteKind.Base, "GET" or "HEAD") => BaseEndpoints.GetAsync(context),
            (RouteKind.Catalog, "GET") => CatalogEndpoints.ListAsync(context),
            (RouteKind.Tags, "GET") => TagEndpoints.ListAsync(context, route.Name),
            (RouteKind.Manifest, "GET" or "HEAD") => ManifestEndpoints.GetAsync(context, route.Name, route.Argument),
            (RouteKind.Manifest, "PUT") => ManifestEndpoints.PutAsync(context, route.Name, route.Argument),
            (RouteKind.Manifest, "DELETE") => ManifestEndpoints.DeleteAsync(context, route.Name, route.Argument),
            (RouteKind.Blob, "GET" or "HEAD") => BlobEndpoints.GetAsync(context, route.Name, route.Argument),
            (RouteKind.Blob, "DELETE") => BlobEndpoints.DeleteAsync(context, route.Name, route.Argument),
            (RouteKind.UploadStart, "POST") => UploadEndpoints.StartAsync(context, route.Name),
            (RouteKind.Upload, "GET") => UploadEndpoints.StatusAsync(context, route.Name, route.Argument),
            (RouteKind.Upload, "PATCH") => UploadEndpoints.AppendAsync(context, route.Name, route.Argument),
            (RouteKind.Upload, "PUT") => UploadEndpoints.CompleteAsync(context, route.Name, route.Argument),
            (RouteKind.Upload, "DELETE") => UploadEndpoints.CancelAsync(context, route.Name, route.Argument),
            (RouteKind.Referrers, "GET") => ReferrerEndpoints.ListAsync(context, route.Name, route.Argument),
            _ => MethodNotAllowed(context, route.Kind),
        };
        await handling;
    }

    // Access is decided before anything is read or written. The name is validated first, so a
    // malformed name is a 400 whoever asks.
    private static Task AuthorizeAsync(HttpContext context, RegistryRoute route, string method)
    {
        var authorizer = context.RequestServices.GetRequiredService<RegistryAuthorizer>();
        if (!authorizer.Enabled)
        {
            return Task.CompletedTask;
        }
        if (route.Kind == RouteKind.Base)
        {
            return authorizer.RequireSignedInAsync(context);
        }
        if (route.Kind == RouteKind.Catalog)
        {
            return Task.CompletedTask; // filtered to what the caller may pull
        }
        var repository = RepositoryName.Parse(route.Name);
        var action = method switch
        {
            "GET" or "HEAD" when route.Kind != RouteKind.Upload => RegistryAction.Pull,
            "DELETE" when route.Kind is RouteKind.Manifest or RouteKind.Blob => RegistryAction.Delete,
            _ => RegistryAction.Push,
        };
        return authorizer.RequireAsync(context, repository.Value, action);
    }

    private static Task MethodNotAllowed(HttpContext context, RouteKind kind)
    {
        context.Response.Headers.Allow = kind switch
        {
            RouteKind.Base => "GET, HEAD",
            RouteKind.Catalog or RouteKind.Tags or RouteKind.Referrers => "GET",
            RouteKind.Manifest => "GET, HEAD, PUT, DELETE",
            RouteKind.Blob => "GET, HEAD, DELETE",
            RouteKind.UploadStart => "POST",
            _ => "GET, PATCH, PUT, DELETE",
        };
        throw new RegistryException(ErrorCode.Unsupported, $"{context.Request.Method} is not supported on {context.Request.Path}");
    }
}
