namespace Wharf.Configuration;

/// <summary>
/// How much memory the in-process caches may hold (configuration section <c>Cache</c>), in bytes.
/// Each is bounded by what its entries cost, not by a count or a time alone, so that the server's
/// memory stays within what the operator planned however large the store grows. 0 turns a cache off.
/// </summary>
public sealed class CacheOptions
{
    public const string Section = "Cache";

    /// <summary>Recently served manifests with their bytes (by tag and by digest).</summary>
    public long ManifestBytes { get; set; } = Wharf.Registry.ManifestCache.DefaultBudgetBytes;

    /// <summary>Which blobs each repository may read, as recently looked up (blob HEADs).</summary>
    public long BlobLinkBytes { get; set; } = Wharf.Registry.BlobLinkCache.DefaultBudgetBytes;

    /// <summary>SQLite's page cache, per pooled connection (the operating system caches the file
    /// beside it): one is open per query running at once besides the reads every pull makes (a
    /// handful, as SQLite's calls hold a thread each).</summary>
    public long SqlitePageCacheBytes { get; set; } = Wharf.Metadata.SqliteMetadataStore.DefaultPageCacheBytes;

    /// <summary>SQLite's page cache of the connections that serve the reads every pull makes (a
    /// manifest by tag or digest, a blob's link), in all, split evenly between them: as many as
    /// cores, at least two and at most four. Enough holds the interior pages of the B-trees those
    /// lookups descend, so a lookup on a large store reads only the leaves it needs from the file.</summary>
    public long SqliteReaderCacheBytes { get; set; } = Wharf.Metadata.SqliteMetadataStore.DefaultReaderCacheBytes;

    public IEnumerable<string> Validate()
    {
        if (ManifestBytes < 0)
        {
            yield return "Cache:ManifestBytes must be 0 (off) or more";
        }
        if (BlobLinkBytes < 0)
        {
            yield return "Cache:BlobLinkBytes must be 0 (off) or more";
        }
        if (SqlitePageCacheBytes < 64 * 1024)
        {
            yield return "Cache:SqlitePageCacheBytes must be at least 65536";
        }
        if (SqliteReaderCacheBytes < 256 * 1024)
        {
            yield return "Cache:SqliteReaderCacheBytes must be at least 262144";
        }
    }
}
