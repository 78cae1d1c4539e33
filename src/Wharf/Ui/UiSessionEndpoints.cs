using System.Text.Json;
using Wharf.Auth;
using Wharf.Distribution;
using Wharf.Operations;
using Wharf.Registry;

namespace Wharf.Ui;

/// <summary>
/// <c>/wharf/ui/api/session</c>: who the page speaks for, and signing in and out. GET tells the
/// page what to offer; POST takes <c>{"username","password"}</c> as JSON (a content type no
/// other site's form can send) and checks them as the registry checks Basic credentials (same
/// users, same throttling of failed attempts); DELETE signs out.
/// </summary>
internal static class UiSessionEndpoints
{
    public const string SessionPath = "/wharf/ui/api/session";

    // A sign-in body is two short strings; anything bigger is not one.
    private const int MaxBodyBytes = 8 * 1024;

    public static IEndpointRouteBuilder MapUiSessionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(SessionPath, UiRequest.Handle(DescribeAsync));
        app.MapPost(SessionPath, UiRequest.Handle(SignInAsync));
        app.MapDelete(SessionPath, UiRequest.Handle(SignOut));
        return app;
    }

    private static async Task DescribeAsync(HttpContext context)
    {
        var authorizer = context.RequestServices.GetRequiredService<RegistryAuthorizer>();
        var caller = authorizer.Enabled ? await authorizer.AuthenticateAsync(context) : Caller.Anonymous;
        await WriteAsync(context, caller.Name);
    }

    private static async Task SignInAsync(HttpContext context)
    {
        var authorizer = context.RequestServices.GetRequiredService<RegistryAuthorizer>();
        if (!authorizer.HasUsers)
        {
            throw new RegistryException(ErrorCode.Unsupported, authorizer.Enabled
                ? "this registry has no users of its own to sign in with; use a token from its token issuer"
                : "this registry has no sign-in: authentication is off", status: 404);
        }
        if (!string.Equals(context.Request.ContentType?.Split(';')[0].Trim(), "application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new RegistryException(ErrorCode.Unsupported, "sign in with a JSON body {\"username\":..., \"password\":...}", status: 415);
        }
        var (user, password) = await ReadCredentialsAsync(context);
        var signedIn = authorizer.VerifyPassword(context, user, password)
            ?? throw new RegistryException(ErrorCode.Unauthorized, "invalid user name or password");
        context.RequestServices.GetRequiredService<UiSessions>().SignIn(context, signedIn);
        await WriteAsync(context, signedIn);
    }

    private static Task SignOut(HttpContext context)
    {
        UiSessions.SignOut(context);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static async Task<(string User, string Password)> ReadCredentialsAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        var buffer = new byte[1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
            {
                throw new RegistryException(ErrorCode.SizeInvalid, "a sign-in body is at most 8 KiB", status: 413);
            }
            body.Write(buffer, 0, read);
        }
        try
        {
            using var json = JsonDocument.Parse(body.ToArray());
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("username", out var user) && user.ValueKind == JsonValueKind.String
                && root.TryGetProperty("password", out var password) && password.ValueKind == JsonValueKind.String)
            {
                return (user.GetString()!, password.GetString()!);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or a name or password no .NET string can hold (half a UTF-16 pair).
        }
        throw new RegistryException(ErrorCode.Unsupported, "sign in with a JSON body {\"username\":..., \"password\":...}", status: 400);
    }

    // {"auth":"htpasswd","signIn":true,"user":"alice","deleteEnabled":true,"readOnly":false}
    private static async Task WriteAsync(HttpContext context, string? user)
    {
        var services = context.RequestServices;
        var authorizer = services.GetRequiredService<RegistryAuthorizer>();
        await using var json = UiJson.Start(context);
        json.WriteStartObject();
        json.WriteString("auth", authorizer.Options.Mode switch
        {
            AuthMode.Htpasswd => "htpasswd",
            AuthMode.Token => "token",
            _ => "none",
        });
        json.WriteBoolean("signIn", authorizer.HasUsers);
        json.WriteString("user", user);
        json.WriteBoolean("deleteEnabled", services.GetRequiredService<RegistryPolicy>().DeleteEnabled);
        json.WriteBoolean("readOnly", services.GetRequiredService<IReadOnlyMode>().IsReadOnly);
        json.WriteEndObject();
    }
}
