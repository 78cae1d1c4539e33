namespace Wharf.Registry;

/// <summary>The registry's rules that configuration can change.</summary>
public sealed record RegistryPolicy
{
    /// <summary>Whether manifests, tags and blob links may be deleted (otherwise 405 UNSUPPORTED).</summary>
    public bool DeleteEnabled { get; init; } = true;

    /// <summary>Whether an index is refused unless every manifest it lists is in the repository.
    /// Off by default: a mirror of one platform of a multi-platform image holds a sparse index.</summary>
    public bool RequireIndexChildren { get; init; }

    /// <summary>Whether an image manifest is refused unless every distributable layer is in the
    /// repository. On by default; off accepts "sparse" images whose mirror skipped some layers
    /// (pulling such a layer answers BLOB_UNKNOWN). The config blob is required either way.</summary>
    public bool RequireBlobs { get; init; } = true;
}
