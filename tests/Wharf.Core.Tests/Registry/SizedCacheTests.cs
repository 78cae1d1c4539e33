using Wharf.Registry;

namespace Wharf.Core.Tests.Registry;

public sealed class SizedCacheTests
{
    private static SizedCache<string, byte[]> Cache(long budget) => new(budget, (_, value) => value.Length, StringComparer.Ordinal);

    [Fact]
    public void Set_FarBeyondTheBudget_NeverHoldsMoreThanTheBudget()
    {
        var cache = Cache(10_000);

        for (var i = 0; i < 1_000; i++)
        {
            cache.Set($"k{i}", new byte[100]);
            Assert.InRange(cache.Bytes, 100, 10_000);
        }

        // The oldest went first; the newest are there.
        Assert.False(cache.TryGet("k0", out _));
        Assert.True(cache.TryGet("k999", out _));
    }

    [Fact]
    public void TryGet_AnEntryReadOften_OutlivesEveryRotation()
    {
        var cache = Cache(1_000);
        cache.Set("hot", new byte[100]);

        for (var i = 0; i < 500; i++)
        {
            cache.Set($"cold{i}", new byte[100]);
            Assert.True(cache.TryGet("hot", out _), $"lost after {i} others");
        }
        Assert.False(cache.TryGet("cold0", out _));
    }

    [Fact]
    public void Set_EntryLargerThanHalfTheBudget_IsNotKept()
    {
        var cache = Cache(1_000);

        cache.Set("big", new byte[501]);

        Assert.False(cache.TryGet("big", out _));
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void Set_BudgetZero_KeepsNothing()
    {
        var cache = Cache(0);

        cache.Set("k", new byte[1]);

        Assert.False(cache.TryGet("k", out _));
    }

    [Fact]
    public void Remove_And_SetAgain_CountEachEntryOnce()
    {
        var cache = Cache(10_000);
        cache.Set("a", new byte[300]);
        cache.Set("a", new byte[300]);
        cache.Set("b", new byte[200]);
        Assert.Equal(500, cache.Bytes);

        cache.Remove("a");

        Assert.Equal(200, cache.Bytes);
        Assert.False(cache.TryGet("a", out _));
    }

    [Fact]
    public async Task Set_FromManyThreads_StaysWithinTheBudget()
    {
        var cache = Cache(64 * 1024);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                cache.Set($"{t}:{i}", new byte[64]);
                cache.TryGet($"{t}:{i / 2}", out _);
            }
        })));

        // Each of the eight writers may be one entry past a generation's half when it rotates.
        Assert.InRange(cache.Bytes, 0, (64 * 1024) + (8 * 64));
    }

    [Fact]
    public void Set_AdmitOnSecondMiss_KeysOfferedOnceDoNotChurnAFullCache()
    {
        var cache = new SizedCache<int, byte[]>(10_000, (_, value) => value.Length, admitOnSecondMiss: true, typicalCost: 100);

        var kept = 0;
        for (var i = 0; i < 10_000; i++)
        {
            cache.Set(i, new byte[100]);
            Assert.InRange(cache.Bytes, 100, 10_000);
            kept += cache.TryGet(i, out _) ? 1 : 0;
        }

        // The first 50 fill the young generation and the 51st starts the first rotation; after
        // that only a hash collision in the filter lets a key seen once in.
        Assert.InRange(kept, 50, 51 + (10_000 / 8));
    }

    [Fact]
    public void Set_AdmitOnSecondMiss_KeyOfferedAgainIsKept()
    {
        var cache = new SizedCache<int, byte[]>(1_000, (_, value) => value.Length, admitOnSecondMiss: true, typicalCost: 100);
        for (var i = 0; i < 100; i++)
        {
            cache.Set(i, new byte[100]);
        }

        cache.Set(-1, new byte[100]);
        cache.Set(-1, new byte[100]);

        Assert.True(cache.TryGet(-1, out _));
        Assert.InRange(cache.Bytes, 100, 1_000);
    }

    [Fact]
    public void Set_AdmitOnSecondMiss_NotFullKeepsEveryKey()
    {
        var cache = new SizedCache<int, byte[]>(10_000, (_, value) => value.Length, admitOnSecondMiss: true, typicalCost: 100);

        cache.Set(1, new byte[100]);

        Assert.True(cache.TryGet(1, out _));
    }
}
