using Wharf.Distribution;

namespace Wharf.Manifests;

/// <summary>An OCI content descriptor: what a manifest says about a piece of content it points at.</summary>
public sealed record Descriptor(string MediaType, Digest Digest, long Size)
{
    public string? ArtifactType { get; init; }
    public bool HasUrls { get; init; }

    /// <summary>Non-distributable content need not be in the registry (image-spec, "urls").</summary>
    public bool IsNonDistributable => MediaTypes.IsNonDistributableLayer(MediaType) || HasUrls;
}
