using Wharf.Registry;

namespace Wharf.Core.Tests.Registry;

public sealed class AdmissionFilterTests
{
    [Fact]
    public void SeenBefore_FirstMiss_False()
    {
        var filter = new AdmissionFilter(1_000);

        Assert.False(filter.SeenBefore(42));
    }

    [Fact]
    public void SeenBefore_SecondMissRightAfterTheFirst_True()
    {
        var filter = new AdmissionFilter(1_000);

        // Every sighting, even the one that starts a new window, counts for the next.
        for (var i = 0; i < 100_000; i++)
        {
            filter.SeenBefore(i);
            Assert.True(filter.SeenBefore(i), $"key {i} missed twice in a row and was not admitted");
        }
    }

    [Fact]
    public void SeenBefore_KeysSeenOnce_AtMostOneInEightAdmitted()
    {
        var filter = new AdmissionFilter(1_000);

        // A scan of distinct keys, as random reads over a store far larger than the cache: only
        // hash collisions admit one, and the window keeps the bits at most an eighth full.
        var admitted = Enumerable.Range(0, 1_000_000).Count(i => filter.SeenBefore(i * 7919));

        Assert.InRange(admitted, 0, 1_000_000 / 8);
    }

    [Fact]
    public void SeenBefore_AfterAWindowOfOtherKeys_Forgotten()
    {
        var filter = new AdmissionFilter(1_000);
        filter.SeenBefore(-1);

        // Four cache-fulls of other keys (32,768 bits, a window of 4,096) end the window the first
        // sighting was in.
        for (var i = 0; i < 5_000; i++)
        {
            filter.SeenBefore(i);
        }

        Assert.False(filter.SeenBefore(-1));
    }

    [Fact]
    public void Bytes_ThirtyTwoBitsAnEntry()
    {
        Assert.Equal(4_096 * 32 / 8, new AdmissionFilter(4_096).Bytes);
        // A tiny cache still gets a useful filter, a huge one a bounded one.
        Assert.Equal(1_024 / 8, new AdmissionFilter(1).Bytes);
        Assert.Equal((1 << 24) / 8, new AdmissionFilter(int.MaxValue).Bytes);
    }
}
