namespace Wharf.Auth;

/// <summary>Who is making a request, as far as authentication could tell.</summary>
public sealed class Caller
{
    public static readonly Caller Anonymous = new(null, null);

    /// <param name="name">The signed-in user; null for an anonymous caller.</param>
    /// <param name="grants">For a bearer token: exactly what the token grants, which replaces the
    /// access rules (the issuer applied them when it issued the token). Null otherwise.</param>
    public Caller(string? name, IReadOnlyList<TokenGrant>? grants)
    {
        Name = name;
        Grants = grants;
    }

    public string? Name { get; }

    public bool IsAuthenticated => Name is not null || Grants is not null;

    public IReadOnlyList<TokenGrant>? Grants { get; }
}

/// <summary>One entry of a token's <c>access</c> claim.</summary>
public sealed record TokenGrant(string Type, string Name, RegistryAction Actions);
