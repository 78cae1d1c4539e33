using System.Collections.Concurrent;
using Wharf.Distribution;

namespace Wharf.Registry;

/// <summary>
/// Which blobs a repository may read, with their sizes, as recently looked up: clients HEAD every
/// layer before pushing or pulling, and answering from memory spares a database query per HEAD.
/// Unlinking drops the entry here and, through <see cref="IReplicaChanges"/>, in every other replica
/// before the unlink is answered; while this process is not current, nothing is cached or served
/// from here. Entries also expire after a few seconds.
/// </summary>
public sealed class BlobLinkCache
{
    private const int MaxEntries = 100_000;
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<(string Repository, string Digest), (long Size, DateTimeOffset Expires)> _links = new();
    private readonly TimeProvider _time;
    private readonly IReplicaChanges? _changes;
    private long _generation;

    public BlobLinkCache(TimeProvider time, IReplicaChanges? changes = null)
    {
        _time = time;
        _changes = changes;
        if (changes is not null)
        {
            changes.ChangedElsewhere += change =>
            {
                if (change.UnlinkedBlob is { } digest)
                {
                    Remove(change.Repository, digest);
                }
            };
            changes.ChangesMayBeMissed += Clear;
        }
    }

    /// <summary>Read before a lookup and handed to <see cref="Add"/>: a lookup that overlapped an
    /// unlink may have seen the link just removed, and is not kept.</summary>
    public long Generation => Volatile.Read(ref _generation);

    public bool TryGet(RepositoryName repository, Digest digest, out long size)
    {
        if ((_changes?.IsCurrent ?? true)
            && _links.TryGetValue((repository.Value, digest.ToString()), out var entry) && entry.Expires > _time.GetUtcNow())
        {
            size = entry.Size;
            return true;
        }
        size = 0;
        return false;
    }

    public void Add(RepositoryName repository, Digest digest, long size, long generation)
    {
        if (generation != Generation || _changes is { IsCurrent: false })
        {
            // Nothing is cached while another replica's unlink could go unheard.
            return;
        }
        if (_links.Count >= MaxEntries)
        {
            // Crude but bounded: start over rather than track recency on the hot path.
            _links.Clear();
        }
        var key = (repository.Value, digest.ToString());
        var entry = (size, _time.GetUtcNow() + Lifetime);
        _links[key] = entry;
        if (generation != Generation)
        {
            _links.TryRemove(new KeyValuePair<(string, string), (long, DateTimeOffset)>(key, entry));
        }
    }

    public void Remove(RepositoryName repository, Digest digest)
    {
        Interlocked.Increment(ref _generation);
        _links.TryRemove((repository.Value, digest.ToString()), out _);
    }

    private void Clear()
    {
        Interlocked.Increment(ref _generation);
        _links.Clear();
    }
}
