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
    /// <summary>What the cache may hold unless configured (Cache:BlobLinkBytes): about 32,000 links.</summary>
    public const long DefaultBudgetBytes = 8 * 1024 * 1024;

    // A link's cost: its two key strings (a digest is 71 characters, a name a few dozen), the
    // entry's size and expiry, and the dictionary's node around them (measured: about 256 bytes
    // of heap with a 17-character name).
    private const long EntryCost = 260;

    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly SizedCache<(string Repository, string Digest), (long Size, DateTimeOffset Expires)> _links;
    private readonly TimeProvider _time;
    private readonly IReplicaChanges? _changes;
    private long _generation;

    public BlobLinkCache(TimeProvider time, IReplicaChanges? changes = null, long budgetBytes = DefaultBudgetBytes)
    {
        _links = new SizedCache<(string, string), (long, DateTimeOffset)>(budgetBytes, (_, _) => EntryCost, admitOnSecondMiss: true, typicalCost: EntryCost);
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

    /// <summary>The bytes the cache holds (its entries' estimated cost), at most its budget.</summary>
    public long Bytes => _links.Bytes;

    public bool TryGet(RepositoryName repository, Digest digest, out long size)
    {
        if ((_changes?.IsCurrent ?? true)
            && _links.TryGet((repository.Value, digest.ToString()), out var entry) && entry.Expires > _time.GetUtcNow())
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
        var key = (repository.Value, digest.ToString());
        _links.Set(key, (size, _time.GetUtcNow() + Lifetime));
        if (generation != Generation)
        {
            _links.Remove(key);
        }
    }

    public void Remove(RepositoryName repository, Digest digest)
    {
        Interlocked.Increment(ref _generation);
        _links.Remove((repository.Value, digest.ToString()));
    }

    private void Clear()
    {
        Interlocked.Increment(ref _generation);
        _links.Clear();
    }
}
