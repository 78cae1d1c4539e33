using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Wharf.Auth;

namespace Wharf.Ui;

/// <summary>
/// Web UI sign-in: after the user's password is checked against the registry's own users, the
/// browser holds a signed session token in an HttpOnly cookie, and the UI's JSON API treats its
/// bearer as that user, under the same access rules as the registry API. Nothing is kept on the
/// server, so any replica honours a session another one began. The token is signed with the
/// built-in token service's key but for an audience of its own, so it is never a registry token.
/// </summary>
public sealed class UiSessions
{
    public const string CookieName = "wharf_session";

    private const string Audience = "wharf-ui";

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly Lazy<SigningCredentials> _signing;
    private readonly Lazy<TokenValidationParameters> _validation;
    private readonly UiOptions _options;
    private readonly TimeProvider _time;
    private readonly string _issuer;

    public UiSessions(IServiceProvider services, UiOptions options, AuthOptions auth, TimeProvider time)
    {
        _options = options;
        _time = time;
        _issuer = auth.Token.Issuer;
        // Loaded on the first sign-in, so that a registry without users never makes a key.
        // A load that failed (a database not reachable yet) is tried again by the next request.
        _signing = new Lazy<SigningCredentials>(() => AuthServices.LoadBuiltInSigningCredentials(services), LazyThreadSafetyMode.PublicationOnly);
        _validation = new Lazy<TokenValidationParameters>(() => new TokenValidationParameters
        {
            ValidIssuer = _issuer,
            ValidAudience = Audience,
            IssuerSigningKey = _signing.Value.Key,
            ValidAlgorithms = [_signing.Value.Algorithm],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            LifetimeValidator = (notBefore, expires, _, parameters) => ValidLifetime(notBefore, expires, parameters.ClockSkew),
        }, LazyThreadSafetyMode.PublicationOnly);
    }

    /// <summary>Starts a session for <paramref name="user"/>, whose password was just checked.</summary>
    public void SignIn(HttpContext context, string user)
    {
        var now = _time.GetUtcNow();
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _issuer,
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + _options.SessionLifetime).UtcDateTime,
            SigningCredentials = _signing.Value,
            Claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Sub] = user },
        });
        context.Response.Cookies.Append(CookieName, token, CookieOptions(context, _options.SessionLifetime));
    }

    public static void SignOut(HttpContext context) =>
        context.Response.Cookies.Delete(CookieName, CookieOptions(context, null));

    /// <summary>The user whose session cookie this request carries; null without one, or when it
    /// is not valid here (expired, forged, or signed by another registry's key).</summary>
    public async Task<string?> UserAsync(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out var token) || string.IsNullOrEmpty(token))
        {
            return null;
        }
        TokenValidationResult result;
        try
        {
            result = await _handler.ValidateTokenAsync(token, _validation.Value);
        }
        catch (ArgumentException)
        {
            return null;
        }
        return result.IsValid && result.SecurityToken is JsonWebToken jwt
            && jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Sub, out var user) && user.Length > 0
            ? user
            : null;
    }

    // Strict same-site: the cookie never rides on a request another site starts, so no other page
    // can delete through a signed-in browser. HttpOnly: the page's script never sees it.
    private static CookieOptions CookieOptions(HttpContext context, TimeSpan? lifetime) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = "/",
        MaxAge = lifetime,
        IsEssential = true,
    };

    private bool ValidLifetime(DateTime? notBefore, DateTime? expires, TimeSpan skew)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return expires is { } end && now <= end + skew && (notBefore is not { } start || now >= start - skew);
    }
}
