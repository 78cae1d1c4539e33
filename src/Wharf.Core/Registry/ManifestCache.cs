using System.Collections.Concurrent;
using Wharf.Distribution;
using Wharf.Metadata;

namespace Wharf.Registry;

/// <summary>
/// Recently served manifests, with their bytes, by repository and reference: a pull asks for the
/// same few manifests over and over, and answering from memory spares a database query, a file
/// open and a stat per request. Every write to a repository drops that repository's entries, here
/// and (through <see cref="IReplicaChanges"/>) in every other replica before the writer's client is
/// answered; entries also expire after a few seconds. While this process is not current (it may not
/// have heard another replica's change), nothing is served from here but bytes by digest
/// (<see cref="TryGetBytes"/>), which never change.
/// </summary>
public sealed class ManifestCache
{
    /// <summary>Manifests larger than this are served from storage, not kept.</summary>
    public const int MaxCachedBytes = 256 * 1024;

    private const int MaxEntries = 20_000;
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Entry>> _repositories = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly IReplicaChanges? _changes;
    private int _count;
    private long _generation;

    private readonly ConcurrentDictionary<string, byte[]> _bytesByDigest = new(StringComparer.Ordinal);

    public ManifestCache(TimeProvider time, IReplicaChanges? changes = null)
    {
        _time = time;
        _changes = changes;
        if (changes is not null)
        {
            changes.ChangedElsewhere += change =>
            {
                if (change.UnlinkedBlob is null)
                {
                    Invalidate(change.Repository);
                }
            };
            changes.ChangesMayBeMissed += Clear;
        }
    }

    private bool IsCurrent => _changes?.IsCurrent ?? true;

    /// <summary>Read before a lookup and handed to <see cref="Add"/>: an entry whose lookup overlapped
    /// an invalidation may hold what was just changed, and is not kept.</summary>
    public long Generation => Volatile.Read(ref _generation);

    public bool TryGet(RepositoryName repository, Reference reference, out ManifestRecord record, out byte[] bytes)
    {
        if (IsCurrent
            && _repositories.TryGetValue(repository.Value, out var entries)
            && entries.TryGetValue(reference.ToString(), out var entry)
            && entry.Expires > _time.GetUtcNow())
        {
            record = entry.Record;
            bytes = entry.Bytes;
            Diagnostics.WharfTelemetry.ManifestCacheHits.Add(1);
            return true;
        }
        Diagnostics.WharfTelemetry.ManifestCacheMisses.Add(1);
        record = null!;
        bytes = null!;
        return false;
    }

    public void Add(RepositoryName repository, Reference reference, ManifestRecord record, byte[] bytes, long generation)
    {
        if (bytes.Length > MaxCachedBytes || generation != Generation || !IsCurrent)
        {
            // Nothing is kept that another replica's change might already have overtaken.
            return;
        }
        if (Volatile.Read(ref _count) >= MaxEntries)
        {
            // Crude but bounded: start over rather than track recency on the hot path.
            Clear();
        }
        var entries = _repositories.GetOrAdd(repository.Value, _ => new ConcurrentDictionary<string, Entry>(StringComparer.Ordinal));
        var entry = new Entry(record, bytes, _time.GetUtcNow() + Lifetime);
        // Only a new key counts: refreshing an expired entry must not creep the count toward a clear.
        var key = reference.ToString();
        if (entries.TryAdd(key, entry))
        {
            Interlocked.Increment(ref _count);
        }
        else
        {
            entries[key] = entry;
        }
        if (generation != Generation)
        {
            // Invalidated while this entry went in: it may be into a fresh dictionary, so take it out.
            entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        }
    }

    /// <summary>The bytes of a manifest by digest: content-addressed, so never stale, whoever
    /// changes which tags point where, current or not.</summary>
    public bool TryGetBytes(Digest digest, out byte[] bytes) => _bytesByDigest.TryGetValue(digest.ToString(), out bytes!);

    public void AddBytes(Digest digest, byte[] bytes)
    {
        if (bytes.Length > MaxCachedBytes)
        {
            return;
        }
        if (_bytesByDigest.Count >= MaxEntries)
        {
            // Crude but bounded, as for references.
            _bytesByDigest.Clear();
        }
        _bytesByDigest[digest.ToString()] = bytes;
    }

    /// <summary>Forgets everything about a repository; called on every manifest or tag change in it.</summary>
    public void Invalidate(RepositoryName repository)
    {
        Interlocked.Increment(ref _generation);
        if (_repositories.TryRemove(repository.Value, out var entries))
        {
            Interlocked.Add(ref _count, -entries.Count);
        }
    }

    private void Clear()
    {
        Interlocked.Increment(ref _generation);
        _repositories.Clear();
        Interlocked.Exchange(ref _count, 0);
    }

    private sealed record Entry(ManifestRecord Record, byte[] Bytes, DateTimeOffset Expires);
}
