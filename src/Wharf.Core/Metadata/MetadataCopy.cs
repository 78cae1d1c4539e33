namespace Wharf.Metadata;

/// <summary>What a copy did, and the row counts of both stores at its end.</summary>
public sealed record MetadataCopyResult(long Repositories, long Links, long Manifests, long Tags, MetadataCounts Source, MetadataCounts Target)
{
    /// <summary>The target holds exactly the source's repositories, links, manifests and tags. Blob
    /// rows are not compared: the source may keep rows of blobs that nothing links or references
    /// any more (garbage), which a copy leaves behind.</summary>
    public bool Verified =>
        Source.Repositories == Target.Repositories && Source.BlobLinks == Target.BlobLinks
        && Source.Manifests == Target.Manifests && Source.Tags == Target.Tags;
}

/// <summary>
/// Copies an SQLite metadata store into another store (PostgreSQL, when a registry moves up to
/// several replicas), through the target's ordinary writes. Every write is idempotent, so an
/// interrupted copy is simply run again. The source must not change meanwhile: run it with the
/// registry stopped or read-only. Blob bytes are not touched; both stores describe the same storage.
/// </summary>
public static class MetadataCopy
{
    public static async Task<MetadataCopyResult> CopyAsync(SqliteMetadataStore source, IMetadataStore target, Action<RepositoryExport>? copied, CancellationToken cancellationToken)
    {
        long repositories = 0, links = 0, manifests = 0, tags = 0;
        await foreach (var repository in source.ExportAsync(cancellationToken))
        {
            // Links first: a manifest is only ever visible with the blobs it needs.
            foreach (var (digest, size) in repository.Links)
            {
                await target.LinkBlobAsync(repository.Repository, digest, size, cancellationToken);
                links++;
            }
            foreach (var manifest in repository.Manifests)
            {
                await target.PutManifestAsync(repository.Repository, manifest.Record, manifest.References, manifest.Tags, cancellationToken);
                manifests++;
                tags += manifest.Tags.Count;
            }
            repositories++;
            copied?.Invoke(repository);
        }
        return new MetadataCopyResult(repositories, links, manifests, tags, await source.CountAsync(cancellationToken), await target.CountAsync(cancellationToken));
    }
}
