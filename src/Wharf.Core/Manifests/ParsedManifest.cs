using Wharf.Distribution;

namespace Wharf.Manifests;

/// <summary>What the registry needs to know of a manifest: its type and everything it references.</summary>
public sealed record ParsedManifest
{
    public required string MediaType { get; init; }
    public Descriptor? Config { get; init; }
    public IReadOnlyList<Descriptor> Layers { get; init; } = [];
    public IReadOnlyList<Descriptor> Manifests { get; init; } = [];
    public Descriptor? Subject { get; init; }

    /// <summary>The manifest's own <c>artifactType</c>, else (image manifests) its config's media type,
    /// as the referrers API reports it.</summary>
    public string? ArtifactType { get; init; }

    /// <summary>The raw JSON of the <c>annotations</c> object, when present.</summary>
    public string? AnnotationsJson { get; init; }

    public bool IsIndex => MediaTypes.IsIndex(MediaType);

    /// <summary>Blobs this manifest needs the repository to hold (config and distributable layers).</summary>
    public IEnumerable<Descriptor> RequiredBlobs =>
        (Config is null ? Layers : Layers.Prepend(Config)).Where(d => !d.IsNonDistributable);

    /// <summary>Every reference, with its kind, as stored in the metadata.</summary>
    public IEnumerable<(Digest Digest, ReferenceKind Kind)> References()
    {
        if (Config is not null)
        {
            yield return (Config.Digest, ReferenceKind.Config);
        }
        foreach (var layer in Layers)
        {
            yield return (layer.Digest, ReferenceKind.Layer);
        }
        foreach (var child in Manifests)
        {
            yield return (child.Digest, ReferenceKind.Manifest);
        }
        if (Subject is not null)
        {
            yield return (Subject.Digest, ReferenceKind.Subject);
        }
    }
}
