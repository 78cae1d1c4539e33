namespace Wharf.Registry;

/// <summary>The registry's rules that configuration can change.</summary>
public sealed record RegistryPolicy
{
    /// <summary>Whether manifests, tags and blob links may be deleted (otherwise 405 UNSUPPORTED).</summary>
    public bool DeleteEnabled { get; init; } = true;

    /// <summary>Whether an index is refused unless every manifest it lists is in the repository.
    /// Off by default: a mirror of one platform of a multi-platform image holds a sparse index.</summary>
    public bool RequireIndexChildren { get; init; }
}
