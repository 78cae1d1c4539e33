using Wharf.Auth;
using Wharf.Registry;

namespace Wharf.Api;

/// <summary><c>GET /v2/_catalog</c>.</summary>
internal static class CatalogEndpoints
{
    public static async Task ListAsync(HttpContext context)
    {
        var pagination = Pagination.FromQuery(context);
        var authorizer = context.RequestServices.GetRequiredService<RegistryAuthorizer>();
        var caller = authorizer.Enabled ? await authorizer.AuthenticateAsync(context) : null;
        // Callers see only the repositories they may pull.
        Func<string, bool>? visible = caller is null || authorizer.SeesEverything(caller)
            ? null
            : name => authorizer.MayList(caller, name);
        var page = await context.RequestServices.GetRequiredService<ListingService>().ListRepositoriesAsync(pagination.N, pagination.Last, visible, context.RequestAborted);
        pagination.AddNextLink(context, "/v2/_catalog", page);
        await ApiJsonWriter.WriteAsync(context, new Catalog(page.Items), ApiJson.Default.Catalog, "application/json");
    }
}
