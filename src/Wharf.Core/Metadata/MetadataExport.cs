using Wharf.Distribution;
using Wharf.Manifests;

namespace Wharf.Metadata;

/// <summary>Everything a store knows about one repository, as <c>wharf metadata copy</c> moves it:
/// its blob links, and its manifests (oldest first, so an index follows its children) with their
/// references and the tags that point at each.</summary>
public sealed record RepositoryExport(RepositoryName Repository, IReadOnlyList<(Digest Digest, long Size)> Links, IReadOnlyList<ManifestExport> Manifests);

/// <summary>A manifest with what it references and its tags.</summary>
public sealed record ManifestExport(ManifestRecord Record, IReadOnlyList<(Digest Digest, ReferenceKind Kind)> References, IReadOnlyList<string> Tags);
