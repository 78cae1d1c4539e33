namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    private static readonly TimeSpan LongLease = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task TryAcquireLeaseAsync_FreeLease_IsTaken()
    {
        Assert.True(await Store.TryAcquireLeaseAsync("purge", "replica-a", LongLease, Ct));
    }

    [Fact]
    public async Task TryAcquireLeaseAsync_HeldByAnother_IsRefused()
    {
        await Store.TryAcquireLeaseAsync("purge", "replica-a", LongLease, Ct);

        Assert.False(await Store.TryAcquireLeaseAsync("purge", "replica-b", LongLease, Ct));
    }

    [Fact]
    public async Task TryAcquireLeaseAsync_HeldBySameHolder_IsRenewed()
    {
        await Store.TryAcquireLeaseAsync("purge", "replica-a", LongLease, Ct);

        Assert.True(await Store.TryAcquireLeaseAsync("purge", "replica-a", LongLease, Ct));
    }

    [Fact]
    public async Task TryAcquireLeaseAsync_OtherLeaseName_IsIndependent()
    {
        await Store.TryAcquireLeaseAsync("purge", "replica-a", LongLease, Ct);

        Assert.True(await Store.TryAcquireLeaseAsync("gc", "replica-b", LongLease, Ct));
    }

    [Fact]
    public async Task TryAcquireLeaseAsync_ExpiredLease_IsTakenOver()
    {
        await Store.TryAcquireLeaseAsync("purge", "replica-a", TimeSpan.FromMilliseconds(50), Ct);
        await Task.Delay(200);

        Assert.True(await Store.TryAcquireLeaseAsync("purge", "replica-b", LongLease, Ct));
        Assert.False(await Store.TryAcquireLeaseAsync("purge", "replica-a", LongLease, Ct));
    }

    [Fact]
    public async Task ReleaseLeaseAsync_ByHolder_FreesItAtOnce()
    {
        await Store.TryAcquireLeaseAsync("purge", "replica-a", LongLease, Ct);

        await Store.ReleaseLeaseAsync("purge", "replica-a", Ct);

        Assert.True(await Store.TryAcquireLeaseAsync("purge", "replica-b", LongLease, Ct));
    }

    [Fact]
    public async Task ReleaseLeaseAsync_ByOtherHolder_LeavesItHeld()
    {
        await Store.TryAcquireLeaseAsync("purge", "replica-a", LongLease, Ct);

        await Store.ReleaseLeaseAsync("purge", "replica-b", Ct);

        Assert.False(await Store.TryAcquireLeaseAsync("purge", "replica-b", LongLease, Ct));
    }

    [Fact]
    public async Task TryAcquireLeaseAsync_ManyHoldersAtOnce_ExactlyOneWins()
    {
        var attempts = Enumerable.Range(0, 8).Select(i => Task.Run(() => Store.TryAcquireLeaseAsync("race", $"replica-{i}", LongLease, Ct)));

        var results = await Task.WhenAll(attempts);

        Assert.Single(results, taken => taken);
    }
}
