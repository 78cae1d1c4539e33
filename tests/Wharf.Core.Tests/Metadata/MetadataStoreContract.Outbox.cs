using Wharf.Metadata;

namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    private static readonly TimeSpan LongClaim = TimeSpan.FromMinutes(5);

    private Task EnqueueAsync(string destination, params string[] payloads) =>
        Store.EnqueueEventsAsync([.. payloads.Select(p => new OutboxEntry(destination, p))], Ct);

    [Fact]
    public async Task ClaimEventsAsync_EmptyOutbox_ReturnsNothing()
    {
        Assert.Empty(await Store.ClaimEventsAsync("hook", 10, LongClaim, Ct));
    }

    [Fact]
    public async Task ClaimEventsAsync_AfterEnqueue_ReturnsEventsInEnqueueOrder()
    {
        await EnqueueAsync("hook", "a", "b", "c");
        await EnqueueAsync("hook", "d");

        var claimed = await Store.ClaimEventsAsync("hook", 10, LongClaim, Ct);

        Assert.Equal(["a", "b", "c", "d"], claimed.Select(e => e.Payload));
        Assert.All(claimed, e => Assert.Equal("hook", e.Destination));
        Assert.All(claimed, e => Assert.Equal(1, e.Attempts));
    }

    [Fact]
    public async Task ClaimEventsAsync_Limit_TakesOldestFirst()
    {
        await EnqueueAsync("hook", "a", "b", "c");

        var first = await Store.ClaimEventsAsync("hook", 2, LongClaim, Ct);
        var second = await Store.ClaimEventsAsync("hook", 2, LongClaim, Ct);

        Assert.Equal(["a", "b"], first.Select(e => e.Payload));
        Assert.Equal(["c"], second.Select(e => e.Payload));
    }

    [Fact]
    public async Task ClaimEventsAsync_OtherDestination_IsNotReturned()
    {
        await EnqueueAsync("hook-a", "for-a");
        await EnqueueAsync("hook-b", "for-b");

        var claimed = await Store.ClaimEventsAsync("hook-a", 10, LongClaim, Ct);

        Assert.Equal(["for-a"], claimed.Select(e => e.Payload));
    }

    [Fact]
    public async Task ClaimEventsAsync_AlreadyClaimed_IsHiddenUntilClaimRunsOut()
    {
        await EnqueueAsync("hook", "a");
        await Store.ClaimEventsAsync("hook", 10, TimeSpan.FromMilliseconds(100), Ct);

        var whileClaimed = await Store.ClaimEventsAsync("hook", 10, LongClaim, Ct);
        await Task.Delay(300);
        var afterClaim = await Store.ClaimEventsAsync("hook", 10, LongClaim, Ct);

        Assert.Empty(whileClaimed);
        var again = Assert.Single(afterClaim);
        Assert.Equal("a", again.Payload);
        Assert.Equal(2, again.Attempts);
    }

    [Fact]
    public async Task CompleteEventsAsync_RemovesThemForGood()
    {
        await EnqueueAsync("hook", "a", "b");
        var claimed = await Store.ClaimEventsAsync("hook", 10, TimeSpan.FromMilliseconds(50), Ct);

        await Store.CompleteEventsAsync([claimed[0].Sequence], Ct);
        await Task.Delay(200);

        Assert.Equal(["b"], (await Store.ClaimEventsAsync("hook", 10, LongClaim, Ct)).Select(e => e.Payload));
    }

    [Fact]
    public async Task RetryEventsAsync_ZeroDelay_MakesThemDueAtOnce()
    {
        await EnqueueAsync("hook", "a");
        var claimed = await Store.ClaimEventsAsync("hook", 10, LongClaim, Ct);

        await Store.RetryEventsAsync([.. claimed.Select(e => e.Sequence)], TimeSpan.Zero, Ct);

        Assert.Equal(2, Assert.Single(await Store.ClaimEventsAsync("hook", 10, LongClaim, Ct)).Attempts);
    }

    [Fact]
    public async Task RetryEventsAsync_Delay_KeepsThemHiddenUntilThen()
    {
        await EnqueueAsync("hook", "a");
        var claimed = await Store.ClaimEventsAsync("hook", 10, LongClaim, Ct);

        await Store.RetryEventsAsync([.. claimed.Select(e => e.Sequence)], TimeSpan.FromMilliseconds(200), Ct);
        var early = await Store.ClaimEventsAsync("hook", 10, LongClaim, Ct);
        await Task.Delay(400);
        var late = await Store.ClaimEventsAsync("hook", 10, LongClaim, Ct);

        Assert.Empty(early);
        Assert.Single(late);
    }

    [Fact]
    public async Task ClaimEventsAsync_ManyClaimersAtOnce_EachEventGoesToOne()
    {
        await EnqueueAsync("hook", [.. Enumerable.Range(0, 50).Select(i => $"e{i}")]);

        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => Store.ClaimEventsAsync("hook", 5, LongClaim, Ct))));
        var rest = await Store.ClaimEventsAsync("hook", 100, LongClaim, Ct);

        var all = claims.SelectMany(c => c).Concat(rest).Select(e => e.Payload).ToList();
        Assert.Equal(50, all.Count);
        Assert.Equal(50, all.Distinct().Count());
    }
}
