using System.Collections.Concurrent;
using Wharf.Distribution;

namespace Wharf.Registry;

/// <summary>
/// Which blobs a repository may read, with their sizes, as recently looked up: clients HEAD every
/// layer before pushing or pulling, and answering from memory spares a database query per HEAD.
/// Unlinking drops the entry here; entries also expire after a few seconds, which bounds how long
/// another replica's delete can go unseen.
/// </summary>
public sealed class BlobLinkCache(TimeProvider time)
{
    private const int MaxEntries = 100_000;
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<(string Repository, string Digest), (long Size, DateTimeOffset Expires)> _links = new();

    public bool TryGet(RepositoryName repository, Digest digest, out long size)
    {
        if (_links.TryGetValue((repository.Value, digest.ToString()), out var entry) && entry.Expires > time.GetUtcNow())
        {
            size = entry.Size;
            return true;
        }
        size = 0;
        return false;
    }

    public void Add(RepositoryName repository, Digest digest, long size)
    {
        if (_links.Count >= MaxEntries)
        {
            // Crude but bounded: start over rather than track recency on the hot path.
            _links.Clear();
        }
        _links[(repository.Value, digest.ToString())] = (size, time.GetUtcNow() + Lifetime);
    }

    public void Remove(RepositoryName repository, Digest digest) => _links.TryRemove((repository.Value, digest.ToString()), out _);
}
