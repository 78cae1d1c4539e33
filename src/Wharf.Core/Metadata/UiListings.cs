using Wharf.Distribution;

namespace Wharf.Metadata;

/// <summary>A repository as the web UI lists it, answered from the metadata alone.</summary>
/// <param name="Size">Bytes of the distinct blobs linked into the repository (layers, configs)
/// plus its manifests: what it holds, each blob once, shared blobs counted in every repository.</param>
/// <param name="LastPush">When a tag of it was last pushed (moved); null when it has no tags.</param>
public sealed record RepositorySummary(string Name, long TagCount, long Size, DateTimeOffset? LastPush);

/// <summary>A tag as the web UI lists it, with the manifest it points at.</summary>
/// <param name="ManifestSize">The manifest's own bytes.</param>
/// <param name="ReferencedSize">Bytes of the distinct blobs the manifest references as config or
/// layers (0 for an index, whose children are manifests of their own).</param>
/// <param name="ArtifactType">As stored: the manifest's <c>artifactType</c>, else its config's media type.</param>
public sealed record TagSummary(string Name, Digest Digest, string MediaType, string? ArtifactType, long ManifestSize, long ReferencedSize, DateTimeOffset UpdatedAt);

/// <summary>How tags are ordered for the web UI.</summary>
public enum TagOrder
{
    /// <summary>By name, in lexical (byte) order, as the tag list API.</summary>
    Name,

    /// <summary>Most recently pushed first; ties by name.</summary>
    Date,
}
