namespace Wharf.Auth;

public enum AuthMode
{
    /// <summary>No authentication: anyone may pull, push and delete.</summary>
    None,

    /// <summary>HTTP Basic against an htpasswd file (bcrypt entries).</summary>
    Htpasswd,

    /// <summary>Bearer tokens (the Docker token authentication protocol), from an external issuer or
    /// from Wharf's own token service.</summary>
    Token,
}

/// <summary>Authentication and access rules (configuration section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public AuthMode Mode { get; set; } = AuthMode.None;

    /// <summary>The realm named in Basic challenges.</summary>
    public string Realm { get; set; } = "Wharf";

    /// <summary>The htpasswd file: the users of <c>htpasswd</c> mode and of the built-in token service.</summary>
    public string? Htpasswd { get; set; }

    public TokenOptions Token { get; set; } = new();

    /// <summary>Users who may do anything anywhere.</summary>
    public List<string> Admins { get; set; } = [];

    /// <summary>Groups of users, by group name, for rules that name groups.</summary>
    public Dictionary<string, List<string>> Groups { get; set; } = [];

    /// <summary>What signed-in users may do where. With no rules at all, every signed-in user may
    /// do everything (the behaviour of a registry:2 with htpasswd).</summary>
    public List<AccessRule> Rules { get; set; } = [];

    /// <summary>Repository patterns anyone, signed in or not, may pull.</summary>
    public List<string> AnonymousPull { get; set; } = [];

    /// <summary>Failed sign-ins from one client address before it must wait.</summary>
    public int MaxFailedLogins { get; set; } = 10;

    /// <summary>How long a client address that failed too often is refused.</summary>
    public TimeSpan FailedLoginWindow { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>The token side of <see cref="AuthMode.Token"/>.</summary>
public sealed class TokenOptions
{
    /// <summary>Where clients get tokens (the challenge's <c>realm</c>). Defaults to the built-in
    /// service at <c>/auth/token</c> on the address the client used.</summary>
    public string? Realm { get; set; }

    /// <summary>The <c>service</c> of the challenge, and the audience tokens must carry.</summary>
    public string Service { get; set; } = "wharf";

    /// <summary>The issuer tokens must come from (and that the built-in service signs as).</summary>
    public string Issuer { get; set; } = "wharf";

    /// <summary>Wharf serves <c>/auth/token</c> itself, signing with <see cref="SigningKey"/>.</summary>
    public bool BuiltIn { get; set; } = true;

    /// <summary>PEM private key (EC P-256 or RSA) of the built-in service. When unset, a key is
    /// generated once and kept in the storage root; several replicas must share a configured one.</summary>
    public string? SigningKey { get; set; }

    /// <summary>An external issuer's certificate (PEM) that signs its tokens.</summary>
    public string? Certificate { get; set; }

    /// <summary>An external issuer's keys as a JWKS file.</summary>
    public string? Jwks { get; set; }

    /// <summary>How long a token from the built-in service lasts.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>One access rule: who (users, groups, or <c>*</c> for anyone signed in) may do what
/// (pull, push, delete) on which repositories (patterns such as <c>team/*</c> or <c>**</c>).</summary>
public sealed class AccessRule
{
    public List<string> Repositories { get; set; } = [];
    public List<string> Users { get; set; } = [];
    public List<string> Groups { get; set; } = [];
    public List<string> Actions { get; set; } = [];
}
