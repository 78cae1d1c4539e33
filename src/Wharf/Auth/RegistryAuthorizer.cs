using System.Net.Http.Headers;
using System.Text;
using Wharf.Distribution;

namespace Wharf.Auth;

/// <summary>
/// Decides, for each request, who the caller is and whether it may do what it asks: the one place
/// where authentication modes, tokens and access rules meet. Refusals are the spec's errors: 401
/// UNAUTHORIZED with a challenge when there is no identity (or, with tokens, not enough scope), 403
/// DENIED when a signed-in user lacks the right, 429 after too many failed sign-ins.
/// </summary>
public sealed class RegistryAuthorizer(AuthOptions options, AccessPolicy policy, HtpasswdFile? users, TokenService? tokens, LoginThrottle throttle)
{
    internal const string CallerKey = "Wharf.Caller";

    public bool Enabled => options.Mode != AuthMode.None;

    public AuthOptions Options => options;

    /// <summary>The caller of this request, authenticated once and remembered for the request.</summary>
    public async Task<Caller> AuthenticateAsync(HttpContext context)
    {
        if (context.Items.TryGetValue(CallerKey, out var known) && known is Caller cached)
        {
            return cached;
        }
        var caller = await ReadCredentialsAsync(context);
        context.Items[CallerKey] = caller;
        return caller;
    }

    /// <summary>Requires a signed-in caller (the <c>GET /v2/</c> check clients log in with).</summary>
    public async Task RequireSignedInAsync(HttpContext context)
    {
        if (Enabled && !(await AuthenticateAsync(context)).IsAuthenticated)
        {
            throw Challenge(context, null, RegistryAction.None, "authentication required");
        }
    }

    /// <summary>Requires an admin (Auth:Admins, or anyone signed in when there are no access rules):
    /// for Wharf's own endpoints outside the registry API. A token from an external issuer speaks
    /// for repositories only, so it never makes its bearer an admin.</summary>
    public async Task RequireAdminAsync(HttpContext context)
    {
        if (!Enabled)
        {
            return;
        }
        var caller = await AuthenticateAsync(context);
        if (!caller.IsAuthenticated)
        {
            throw Challenge(context, null, RegistryAction.None, "authentication required");
        }
        if (!SeesEverything(caller))
        {
            throw Failure("denied", new RegistryException(ErrorCode.Denied, $"{caller.Name ?? "this token"} is not an admin"));
        }
    }

    /// <summary>Requires <paramref name="action"/> on <paramref name="repository"/>.</summary>
    public async Task RequireAsync(HttpContext context, string repository, RegistryAction action)
    {
        if (!Enabled)
        {
            return;
        }
        var caller = await AuthenticateAsync(context);
        if ((Allowed(caller, repository) & action) == action)
        {
            return;
        }
        if (!caller.IsAuthenticated)
        {
            throw Challenge(context, repository, action, $"authentication required to {RegistryActions.Format(action)} {repository}");
        }
        if (options.Mode == AuthMode.Token)
        {
            // The token protocol's answer: ask the client to come back with a token of wider scope.
            throw Failure("denied", Challenge(context, repository, action, $"the token does not grant {RegistryActions.Format(action)} on {repository}", insufficientScope: true));
        }
        throw Failure("denied", new RegistryException(ErrorCode.Denied, $"{caller.Name} may not {RegistryActions.Format(action)} {repository}"));
    }

    /// <summary>Whether the caller may pull <paramref name="repository"/> (catalog filtering, mount sources).</summary>
    public async Task<bool> MayAsync(HttpContext context, string repository, RegistryAction action) =>
        !Enabled || (Allowed(await AuthenticateAsync(context), repository) & action) == action;

    /// <summary>Whether the caller may pull <paramref name="repository"/>, for listing the catalog. A
    /// token from the built-in service speaks for a user whose rights the access rules give; a token
    /// from an external issuer grants only what it lists (and what anyone may pull).</summary>
    public bool MayList(Caller caller, string repository) =>
        (caller.Grants is null || options.Token.BuiltIn
            ? policy.Allowed(caller.Name, repository)
            : Allowed(caller, repository)).HasFlag(RegistryAction.Pull);

    /// <summary>Whether the caller sees the whole catalog without filtering.</summary>
    public bool SeesEverything(Caller caller) =>
        (caller.Grants is null || options.Token.BuiltIn) && policy.IsAdmin(caller.Name);

    /// <summary>Whether the user may do everything everywhere (and so see the whole catalog).</summary>
    public bool IsAdmin(string? user) => policy.IsAdmin(user);

    /// <summary>What the access rules let <paramref name="user"/> do on <paramref name="repository"/>.</summary>
    public RegistryAction AllowedByPolicy(string? user, string repository) => policy.Allowed(user, repository);

    private RegistryAction Allowed(Caller caller, string repository)
    {
        if (caller.Grants is null)
        {
            return policy.Allowed(caller.Name, repository);
        }
        // A token grants what its access claim says, and anonymous pulls stay open to token holders too.
        var granted = policy.Allowed(null, repository);
        foreach (var grant in caller.Grants)
        {
            if (grant.Type == "repository" && grant.Name == repository)
            {
                granted |= grant.Actions;
            }
        }
        return granted;
    }

    private async Task<Caller> ReadCredentialsAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (options.Mode == AuthMode.None || header.Length == 0)
        {
            return Caller.Anonymous;
        }
        if (options.Mode == AuthMode.Htpasswd && header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            var user = VerifyBasic(context, header) ?? throw Challenge(context, null, RegistryAction.None, "invalid user name or password");
            return new Caller(user, null);
        }
        if (options.Mode == AuthMode.Token && tokens is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return await tokens.ValidateAsync(header[7..].Trim())
                ?? throw Failure("bad_token", Challenge(context, null, RegistryAction.None, "the bearer token is not valid here (expired, forged, or for another service)", invalidToken: true));
        }
        throw Challenge(context, null, RegistryAction.None, "unsupported authorization scheme");
    }

    /// <summary>Checks HTTP Basic credentials against the htpasswd users; null when they are wrong.
    /// Throws 429 while the client address is throttled.</summary>
    public string? VerifyBasic(HttpContext context, string header) =>
        TryDecodeBasic(header, out var user, out var password)
            ? VerifyPassword(context, user, password)
            : VerifyPassword(context, "", "");

    /// <summary>Checks a user name and password against the htpasswd users (the web UI's sign-in
    /// form and Basic credentials alike); null when they are wrong. Throws 429 while the client
    /// address is throttled.</summary>
    public string? VerifyPassword(HttpContext context, string user, string password)
    {
        var address = context.Connection.RemoteIpAddress;
        if (throttle.RetryAfter(address) is { } wait)
        {
            AuthMetrics.Throttled.Add(1);
            throw new RegistryException(ErrorCode.TooManyRequests, "too many failed sign-ins from this address; try again later")
            {
                Headers = new Dictionary<string, string> { ["Retry-After"] = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) },
            };
        }
        if (users is not null && user.Length > 0 && users.Verify(user, password))
        {
            throttle.Succeeded(address);
            return user;
        }
        throttle.Failed(address);
        AuthMetrics.Failures.Add(1, new KeyValuePair<string, object?>("reason", "bad_credentials"));
        return null;
    }

    /// <summary>Whether sign-in with a user name and password is possible here (there are users).</summary>
    public bool HasUsers => Enabled && users is not null;

    private static bool TryDecodeBasic(string header, out string user, out string password)
    {
        user = password = "";
        if (!AuthenticationHeaderValue.TryParse(header, out var value) || value.Parameter is null)
        {
            return false;
        }
        Span<byte> buffer = stackalloc byte[1024];
        if (!Convert.TryFromBase64String(value.Parameter, buffer, out var length))
        {
            return false;
        }
        var text = Encoding.UTF8.GetString(buffer[..length]);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }
        user = text[..colon];
        password = text[(colon + 1)..];
        return true;
    }

    /// <summary>Counts a refusal of credentials or of access (not the challenge every client's
    /// first, anonymous request gets).</summary>
    private static RegistryException Failure(string reason, RegistryException refusal)
    {
        AuthMetrics.Failures.Add(1, new KeyValuePair<string, object?>("reason", reason));
        return refusal;
    }

    private RegistryException Challenge(HttpContext context, string? repository, RegistryAction action, string detail, bool insufficientScope = false, bool invalidToken = false)
    {
        string challenge;
        if (options.Mode == AuthMode.Token)
        {
            var realm = options.Token.Realm ?? $"{context.Request.Scheme}://{context.Request.Host}/auth/token";
            challenge = $"Bearer realm=\"{realm}\",service=\"{options.Token.Service}\"";
            if (repository is not null)
            {
                // Clients ask for pull alongside push, as docker does, so one token serves a whole push.
                var scope = action.HasFlag(RegistryAction.Push) ? action | RegistryAction.Pull : action;
                challenge += $",scope=\"repository:{repository}:{RegistryActions.Format(scope)}\"";
            }
            if (insufficientScope)
            {
                challenge += ",error=\"insufficient_scope\"";
            }
            else if (invalidToken)
            {
                challenge += ",error=\"invalid_token\"";
            }
        }
        else
        {
            challenge = $"Basic realm=\"{options.Realm}\"";
        }
        return new RegistryException(ErrorCode.Unauthorized, detail)
        {
            Headers = new Dictionary<string, string> { ["WWW-Authenticate"] = challenge },
        };
    }
}
