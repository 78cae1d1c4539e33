using Wharf.Auth;
using Wharf.Distribution;

namespace Wharf.Ui;

/// <summary>
/// What every request of the web UI's JSON API goes through: the caller is the one its
/// Authorization header names (scripts may call this API as they call the registry's) or else the
/// one its session cookie names; and refusals carry no challenge, so that a browser never opens
/// its own password dialog over the page.
/// </summary>
internal static class UiRequest
{
    public static RequestDelegate Handle(Func<HttpContext, Task> handler) => async context =>
    {
        await IdentifyAsync(context);
        try
        {
            await handler(context);
        }
        catch (RegistryException e)
        {
            throw ForThePage(e);
        }
    };

    private static async Task IdentifyAsync(HttpContext context)
    {
        var authorizer = context.RequestServices.GetRequiredService<RegistryAuthorizer>();
        if (!authorizer.Enabled || context.Request.Headers.Authorization.Count > 0)
        {
            return;
        }
        var user = await context.RequestServices.GetRequiredService<UiSessions>().UserAsync(context);
        // The user's own rights under the access rules, as when signed in with a password.
        context.Items[RegistryAuthorizer.CallerKey] = user is null ? Caller.Anonymous : new Caller(user, null);
    }

    // The page shows the message: the detail, which names what was refused, says more than the
    // code's standard text.
    private static RegistryException ForThePage(RegistryException e) =>
        new(e.Code, e.Detail, e.Status)
        {
            ClientMessage = e.ClientMessage ?? e.Detail,
            Headers = e.Headers?.Where(h => !h.Key.Equals("WWW-Authenticate", StringComparison.OrdinalIgnoreCase))
                .ToDictionary(h => h.Key, h => h.Value),
        };
}
