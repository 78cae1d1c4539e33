namespace Wharf.Configuration;

/// <summary>Rules for manifests pushed to the registry (configuration section <c>Manifests</c>).</summary>
public sealed class ManifestOptions
{
    public const string Section = "Manifests";

    /// <summary>Refuse an index unless every manifest it lists is already in the repository.
    /// Off by default, so that a mirror of one platform can hold the multi-platform index.</summary>
    public bool RequireIndexChildren { get; set; }

    /// <summary>Refuse an image manifest unless every layer it lists is in the repository. On by
    /// default; off lets a mirror push an image whose layers it did not copy (a sparse image).
    /// The config blob is required either way.</summary>
    public bool RequireBlobs { get; set; } = true;
}
