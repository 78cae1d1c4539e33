using System.Collections.Concurrent;

namespace Wharf.Registry;

/// <summary>
/// A cache that holds at most a byte budget, counted by what each entry costs. Entries live in two
/// generations: new ones go into the young one; when it has used half the budget it becomes the
/// old one and the old one is dropped whole. A hit in the old generation moves the entry back into
/// the young one, so what is read often stays while the rest ages out. No recency is tracked per
/// read, so a hit costs a dictionary lookup and nothing else, and the cache never holds more than
/// the budget (give or take the entries that threads add at the very moment of a rotation).
/// With <c>admitOnSecondMiss</c>, once the cache has filled up, a new key is kept only if it was
/// offered before, recently (<see cref="AdmissionFilter"/>): what is asked for once does not push
/// out what is asked for again, and a cache far smaller than what is read stops churning.
/// </summary>
public sealed class SizedCache<TKey, TValue>
    where TKey : notnull
{
    private readonly long _generationBudget;
    private readonly Func<TKey, TValue, long> _costOf;
    private readonly Lock _rotation = new();
    private Generations _generations;

    /// <param name="budgetBytes">What the cache may hold in all; 0 keeps nothing.</param>
    /// <param name="costOf">An entry's cost in bytes: its value's size and the bookkeeping around it.</param>
    /// <param name="admitOnSecondMiss">Once the cache has filled up, keep a new key only on its second
    /// <see cref="Set"/> within a while (see <see cref="AdmissionFilter"/>); <paramref name="typicalCost"/>
    /// sizes the filter.</param>
    public SizedCache(long budgetBytes, Func<TKey, TValue, long> costOf, IEqualityComparer<TKey>? comparer = null, bool admitOnSecondMiss = false, long typicalCost = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        BudgetBytes = budgetBytes;
        _generationBudget = budgetBytes / 2;
        _costOf = costOf;
        _comparer = comparer;
        _generations = new Generations(NewGeneration(), NewGeneration());
        if (admitOnSecondMiss && budgetBytes > 0)
        {
            _admission = new AdmissionFilter((int)Math.Min(int.MaxValue, budgetBytes / Math.Max(1, typicalCost)));
        }
    }

    private readonly AdmissionFilter? _admission;
    private bool _filled;

    private readonly IEqualityComparer<TKey>? _comparer;

    public long BudgetBytes { get; }

    /// <summary>The bytes the cache holds now, as its entries' costs add up.</summary>
    public long Bytes
    {
        get
        {
            var generations = Volatile.Read(ref _generations);
            return Volatile.Read(ref generations.Young.Bytes) + Volatile.Read(ref generations.Old.Bytes);
        }
    }

    public bool TryGet(TKey key, out TValue value)
    {
        var generations = Volatile.Read(ref _generations);
        if (generations.Young.Entries.TryGetValue(key, out value!))
        {
            return true;
        }
        if (generations.Old.Entries.TryGetValue(key, out value!))
        {
            // Still wanted: it moves to the young generation and outlives the old one. A removal
            // that ran meanwhile took it from the old one first (see Remove); then the move is
            // undone, so that nothing removed comes back.
            Store(key, value, promoted: true);
            if (!generations.Old.Entries.TryGetValue(key, out var still) || !EqualityComparer<TValue>.Default.Equals(still, value))
            {
                Remove(key);
            }
            return true;
        }
        return false;
    }

    public void Set(TKey key, TValue value) => Store(key, value, promoted: false);

    private void Store(TKey key, TValue value, bool promoted)
    {
        var cost = _costOf(key, value);
        if (cost > _generationBudget)
        {
            // Larger than a generation may hold: never kept (and a budget of 0 keeps nothing).
            return;
        }
        var young = Volatile.Read(ref _generations).Young;
        if (young.Entries.TryGetValue(key, out var previous))
        {
            young.Entries[key] = value;
            Interlocked.Add(ref young.Bytes, cost - _costOf(key, previous));
            return;
        }
        if (!promoted && _admission is not null && Volatile.Read(ref _filled)
            && !_admission.SeenBefore(_comparer?.GetHashCode(key) ?? key.GetHashCode()))
        {
            // Seen once: keeping it would bring the next rotation nearer, for a key that may never
            // be asked for again.
            return;
        }
        if (Volatile.Read(ref young.Bytes) + cost > _generationBudget)
        {
            Volatile.Write(ref _filled, true);
            // Full: the young generation grows old, and what was old goes, before this one is added.
            Rotate(young);
            young = Volatile.Read(ref _generations).Young;
        }
        if (young.Entries.TryAdd(key, value))
        {
            Interlocked.Add(ref young.Bytes, cost);
        }
    }

    public void Remove(TKey key)
    {
        var generations = Volatile.Read(ref _generations);
        // Old first: a read that finds the entry there and moves it young checks afterwards that
        // it is still old, so whichever order the two run in, the entry ends up gone.
        foreach (var generation in new[] { generations.Old, generations.Young })
        {
            if (generation.Entries.TryRemove(key, out var removed))
            {
                Interlocked.Add(ref generation.Bytes, -_costOf(key, removed));
            }
        }
    }

    public void Clear()
    {
        lock (_rotation)
        {
            Volatile.Write(ref _generations, new Generations(NewGeneration(), NewGeneration()));
        }
    }

    private void Rotate(Generation full)
    {
        lock (_rotation)
        {
            // Another thread may have rotated already: only the generation that filled up moves on.
            if (!ReferenceEquals(_generations.Young, full))
            {
                return;
            }
            Volatile.Write(ref _generations, new Generations(NewGeneration(), full));
        }
    }

    private Generation NewGeneration() =>
        new(_comparer is null ? new ConcurrentDictionary<TKey, TValue>() : new ConcurrentDictionary<TKey, TValue>(_comparer));

    private sealed class Generation(ConcurrentDictionary<TKey, TValue> entries)
    {
        public readonly ConcurrentDictionary<TKey, TValue> Entries = entries;
        public long Bytes;
    }

    private sealed record Generations(Generation Young, Generation Old);
}
