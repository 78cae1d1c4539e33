using System.Text.Json;
using Wharf.Api;
using Wharf.Distribution;

namespace Wharf.Auth;

/// <summary>
/// The built-in token service, <c>GET /auth/token?service=&amp;scope=</c> (and the OAuth2 form,
/// <c>POST /auth/token</c> with <c>grant_type=password</c>), as the Docker token authentication
/// specification describes. A caller with valid Basic credentials, or an anonymous one, gets a
/// short-lived token granting exactly the requested actions that the access rules allow.
/// </summary>
internal static class TokenEndpoints
{
    public static IEndpointRouteBuilder MapTokenService(this IEndpointRouteBuilder app)
    {
        app.MapGet("/auth/token", context => IssueAsync(context, form: null));
        app.MapPost("/auth/token", async context =>
        {
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
            await IssueAsync(context, form);
        });
        return app;
    }

    private static async Task IssueAsync(HttpContext context, IFormCollection? form)
    {
        var authorizer = context.RequestServices.GetRequiredService<RegistryAuthorizer>();
        var tokens = context.RequestServices.GetService<TokenService>();
        if (tokens is null || !tokens.CanIssue)
        {
            throw new RegistryException(ErrorCode.Unsupported, "this registry does not serve tokens", status: 404);
        }

        string? user = null;
        var header = context.Request.Headers.Authorization.ToString();
        if (form is not null && form["grant_type"] == "password")
        {
            // OAuth2 password grant (containerd): the credentials come in the form.
            var basic = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{form["username"]}:{form["password"]}"));
            user = authorizer.VerifyBasic(context, basic) ?? throw BadCredentials(authorizer);
        }
        else if (form is not null && form["grant_type"].Count > 0)
        {
            throw new RegistryException(ErrorCode.Unsupported, $"grant_type '{InputText.Clip(form["grant_type"])}' is not supported; use password", status: 400);
        }
        else if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            user = authorizer.VerifyBasic(context, header) ?? throw BadCredentials(authorizer);
        }

        var service = (form?["service"].ToString() is { Length: > 0 } s ? s : context.Request.Query["service"].ToString());
        if (service.Length > 0 && service != tokens.Options.Service)
        {
            throw new RegistryException(ErrorCode.Unsupported, $"this token service issues tokens for '{tokens.Options.Service}', not '{InputText.Clip(service)}'", status: 400);
        }
        var scopes = form?["scope"].Count > 0
            ? form["scope"].SelectMany(v => (v ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
            : context.Request.Query["scope"].SelectMany(v => (v ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries));

        var grants = new List<TokenGrant>();
        foreach (var scope in scopes)
        {
            if (Grant(authorizer, user, scope) is { } grant)
            {
                grants.Add(grant);
            }
        }

        var issued = tokens.Issue(user ?? "", grants);
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(context.Response.Body, ApiJsonWriter.Options);
        json.WriteStartObject();
        json.WriteString("token", issued.Token);
        json.WriteString("access_token", issued.Token);
        json.WriteNumber("expires_in", issued.ExpiresIn);
        json.WriteString("issued_at", issued.IssuedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }

    // scope = type ":" name ":" actions; the name may itself contain ':' in other registries' resource
    // types, so type is cut at the first colon and actions at the last.
    private static TokenGrant? Grant(RegistryAuthorizer authorizer, string? user, string scope)
    {
        var first = scope.IndexOf(':', StringComparison.Ordinal);
        var last = scope.LastIndexOf(':');
        if (first <= 0 || last <= first)
        {
            return null;
        }
        var type = scope[..first];
        var name = scope[(first + 1)..last];
        var requested = scope[(last + 1)..].Split(',').Aggregate(RegistryAction.None, (all, a) => all | RegistryActions.Parse(a));
        if (type == "registry" && name == "catalog")
        {
            // The catalog filters itself by what the caller may pull; any signed-in caller may ask.
            return user is null ? null : new TokenGrant(type, name, RegistryAction.All);
        }
        if (type != "repository" || !RepositoryName.TryParse(name, out _))
        {
            return null;
        }
        var granted = authorizer.AllowedByPolicy(user, name) & requested;
        return new TokenGrant(type, name, granted);
    }

    private static RegistryException BadCredentials(RegistryAuthorizer authorizer) =>
        new(ErrorCode.Unauthorized, "invalid user name or password")
        {
            Headers = new Dictionary<string, string> { ["WWW-Authenticate"] = $"Basic realm=\"{authorizer.Options.Realm}\"" },
        };
}
