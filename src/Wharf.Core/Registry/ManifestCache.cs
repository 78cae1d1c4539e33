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

    /// <summary>What the cache may hold unless configured (Cache:ManifestBytes): half for manifests'
    /// bytes by digest, half for what tags and digests of each repository name.</summary>
    public const long DefaultBudgetBytes = 8 * 1024 * 1024;

    // Bookkeeping around an entry's bytes and strings: the record, the entry, the dictionary node.
    private const long EntryOverhead = 300;

    // A repository's own dictionary of entries, counted with the entry that creates it: on a large
    // store, random pulls put nearly every entry in a repository of its own. Measured: an entry of
    // a 630-byte manifest with three annotations, read from the store, in a repository of its own,
    // takes about 2,160 bytes of heap; counted as its bytes and EntryOverhead alone it was 930 (the
    // cache held twice its budget), with its strings and this 2,167.
    private const long RepositoryOverhead = 500;

    // A digest's hex string (its algorithm's name is a shared constant).
    private const long DigestCost = 24 + 2 * 64;

    // What an entry of a typical manifest (an image manifest of a few layers) costs: sizes the
    // admission filter.
    private const long TypicalEntryCost = EntryOverhead + 1024;

    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Entry>> _repositories = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly IReplicaChanges? _changes;
    private readonly long _referenceBudget;
    // What the entries by reference cost (each counted with its bytes, though usually shared
    // with the entry by digest): the cache is bounded even when nothing is shared.
    private long _referenceBytes;
    private long _generation;

    private readonly SizedCache<string, byte[]> _bytesByDigest;
    private readonly AdmissionFilter _admission;
    private bool _filled;

    public ManifestCache(TimeProvider time, IReplicaChanges? changes = null, long budgetBytes = DefaultBudgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        _referenceBudget = budgetBytes / 2;
        _bytesByDigest = new SizedCache<string, byte[]>(budgetBytes - _referenceBudget, (digest, bytes) => bytes.Length + EntryOverhead, StringComparer.Ordinal,
            admitOnSecondMiss: true, typicalCost: TypicalEntryCost);
        _admission = new AdmissionFilter((int)Math.Min(int.MaxValue, Math.Max(1, _referenceBudget / TypicalEntryCost)));
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

    /// <summary>The bytes the cache holds, as its entries' costs add up: at most its budget.</summary>
    public long Bytes => Volatile.Read(ref _referenceBytes) + _bytesByDigest.Bytes;

    public void Add(RepositoryName repository, Reference reference, ManifestRecord record, byte[] bytes, long generation)
    {
        var key = reference.ToString();
        var cost = EntryCost(record, bytes, key);
        if (bytes.Length > MaxCachedBytes || cost + RepositoryOverhead > _referenceBudget || generation != Generation || !IsCurrent)
        {
            // Nothing is kept that another replica's change might already have overtaken.
            return;
        }
        if (Volatile.Read(ref _filled) && !_admission.SeenBefore(HashCode.Combine(repository.Value, reference)))
        {
            // Once the cache has filled up, a reference is kept only on its second miss within a
            // while (see AdmissionFilter): on a store far larger than the cache most are asked for
            // once, and keeping each would start the cache over again and again, throwing away
            // what is asked for again for entries nobody reads.
            return;
        }
        if (Volatile.Read(ref _referenceBytes) + cost + RepositoryOverhead > _referenceBudget)
        {
            // Bounded by bytes, not by recency: these entries live five seconds at most anyway, so
            // starting over costs a few lookups and spares bookkeeping on every read.
            Volatile.Write(ref _filled, true);
            Clear();
        }
        if (!_repositories.TryGetValue(repository.Value, out var entries))
        {
            var created = new ConcurrentDictionary<string, Entry>(StringComparer.Ordinal);
            entries = _repositories.GetOrAdd(repository.Value, created);
            if (ReferenceEquals(entries, created))
            {
                Interlocked.Add(ref _referenceBytes, RepositoryOverhead);
            }
        }
        var entry = new Entry(record, bytes, _time.GetUtcNow() + Lifetime, cost);
        // Only a new key counts: refreshing an expired entry must not creep the count toward a clear.
        if (entries.TryAdd(key, entry))
        {
            Interlocked.Add(ref _referenceBytes, cost);
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
    public bool TryGetBytes(Digest digest, out byte[] bytes) => _bytesByDigest.TryGet(digest.ToString(), out bytes!);

    public void AddBytes(Digest digest, byte[] bytes)
    {
        if (bytes.Length <= MaxCachedBytes)
        {
            _bytesByDigest.Set(digest.ToString(), bytes);
        }
    }

    /// <summary>Forgets everything about a repository; called on every manifest or tag change in it.</summary>
    public void Invalidate(RepositoryName repository)
    {
        Interlocked.Increment(ref _generation);
        if (_repositories.TryRemove(repository.Value, out var entries))
        {
            Interlocked.Add(ref _referenceBytes, -(RepositoryOverhead + entries.Values.Sum(e => e.Cost)));
        }
    }

    private void Clear()
    {
        Interlocked.Increment(ref _generation);
        _repositories.Clear();
        Interlocked.Exchange(ref _referenceBytes, 0);
    }

    /// <summary>What an entry by reference holds on the heap, as near as counted: its bytes, the
    /// record's strings, the key and the bookkeeping around them.</summary>
    private static long EntryCost(ManifestRecord record, byte[] bytes, string key) =>
        bytes.Length + EntryOverhead + StringCost(key) + StringCost(record.MediaType) + StringCost(record.AnnotationsJson)
        + StringCost(record.ArtifactType) + (record.Subject is null ? DigestCost : 2 * DigestCost);

    private static long StringCost(string? text) => text is null ? 0 : 24 + 2L * text.Length;

    private sealed record Entry(ManifestRecord Record, byte[] Bytes, DateTimeOffset Expires, long Cost);
}
