using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Wharf.Auth;

/// <summary>
/// Issues and validates the bearer tokens of the Docker token authentication protocol: JWTs whose
/// <c>access</c> claim lists, per resource, the actions granted. The built-in service signs with
/// its own key; tokens of an external issuer are checked against that issuer's keys.
/// </summary>
public sealed class TokenService
{
    private static readonly string[] AllowedAlgorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256];

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly TokenOptions _options;
    private readonly SigningCredentials? _signing;
    private readonly TokenValidationParameters _validation;
    private readonly TimeProvider _time;

    public TokenService(TokenOptions options, SigningCredentials? signing, IReadOnlyList<SecurityKey> externalKeys, TimeProvider time)
    {
        _options = options;
        _signing = signing;
        _time = time;
        var keys = new List<SecurityKey>(externalKeys);
        if (signing is not null)
        {
            keys.Add(signing.Key);
        }
        _validation = new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = options.Service,
            IssuerSigningKeys = keys,
            ValidAlgorithms = AllowedAlgorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            LifetimeValidator = (notBefore, expires, _, parameters) => ValidLifetime(notBefore, expires, parameters.ClockSkew),
        };
    }

    public TokenOptions Options => _options;

    public bool CanIssue => _signing is not null;

    /// <summary>A token for <paramref name="subject"/> (empty for anonymous) granting exactly <paramref name="grants"/>.</summary>
    public IssuedToken Issue(string subject, IReadOnlyList<TokenGrant> grants)
    {
        if (_signing is null)
        {
            throw new InvalidOperationException("this registry does not issue tokens");
        }
        var now = _time.GetUtcNow();
        var expires = now + _options.Lifetime;
        var access = grants.Select(g => new Dictionary<string, object>
        {
            ["type"] = g.Type,
            ["name"] = g.Name,
            ["actions"] = RegistryActions.Names(g.Actions).Cast<object>().ToList(),
        }).Cast<object>().ToList();
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.Service,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = _signing,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = subject,
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
                ["access"] = access,
            },
        });
        return new IssuedToken(token, (int)_options.Lifetime.TotalSeconds, now);
    }

    /// <summary>The caller a token speaks for, or null when it is not valid here (forged,
    /// expired, unsigned, for another audience or issuer).</summary>
    public async Task<Caller?> ValidateAsync(string token)
    {
        TokenValidationResult result;
        try
        {
            result = await _handler.ValidateTokenAsync(token, _validation);
        }
        catch (ArgumentException)
        {
            return null;
        }
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return null;
        }
        var subject = jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Sub, out var sub) && sub.Length > 0 ? sub : null;
        return new Caller(subject, ReadAccess(jwt));
    }

    private static List<TokenGrant> ReadAccess(JsonWebToken jwt)
    {
        var grants = new List<TokenGrant>();
        if (!jwt.TryGetPayloadValue<JsonElement>("access", out var access) || access.ValueKind != JsonValueKind.Array)
        {
            return grants;
        }
        foreach (var entry in access.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object
                || !entry.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || !entry.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || !entry.TryGetProperty("actions", out var actions) || actions.ValueKind != JsonValueKind.Array)
            {
                continue;
            }
            var granted = RegistryAction.None;
            foreach (var action in actions.EnumerateArray())
            {
                granted |= action.ValueKind == JsonValueKind.String ? RegistryActions.Parse(action.GetString()!) : RegistryAction.None;
            }
            grants.Add(new TokenGrant(type.GetString()!, name.GetString()!, granted));
        }
        return grants;
    }

    private bool ValidLifetime(DateTime? notBefore, DateTime? expires, TimeSpan skew)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return expires is { } exp && now <= exp + skew && (notBefore is not { } nbf || now >= nbf - skew);
    }
}

/// <summary>A token as the token endpoint returns it.</summary>
public sealed record IssuedToken(string Token, int ExpiresIn, DateTimeOffset IssuedAt);
