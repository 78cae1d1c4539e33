using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Registry;

namespace Wharf.Core.Tests.Registry;

public sealed class BlobLinkCacheTests
{
    private static readonly RepositoryName Repository = RepositoryName.Parse("team/app");
    private static readonly Digest Blob = TestDigests.Sha256Of("blob");

    [Fact]
    public void TryGet_AddedLink_HitsWithSize()
    {
        var cache = new BlobLinkCache(TimeProvider.System);
        cache.Add(Repository, Blob, 42, cache.Generation);

        Assert.True(cache.TryGet(Repository, Blob, out var size));
        Assert.Equal(42, size);
    }

    [Fact]
    public void Add_LookupOverlappedAnUnlink_IsNotKept()
    {
        var cache = new BlobLinkCache(TimeProvider.System);
        var generation = cache.Generation;

        cache.Remove(Repository, Blob);
        cache.Add(Repository, Blob, 42, generation);

        Assert.False(cache.TryGet(Repository, Blob, out _));
    }

    [Fact]
    public void ChangedElsewhere_UnlinkedBlob_DropsThatLink()
    {
        var changes = new FakeReplicaChanges();
        var cache = new BlobLinkCache(TimeProvider.System, changes);
        var kept = TestDigests.Sha256Of("kept");
        cache.Add(Repository, Blob, 42, cache.Generation);
        cache.Add(Repository, kept, 7, cache.Generation);

        changes.RaiseChangedElsewhere(new RepositoryChange(Repository, Blob));

        Assert.False(cache.TryGet(Repository, Blob, out _));
        Assert.True(cache.TryGet(Repository, kept, out _));
    }

    [Fact]
    public void ChangedElsewhere_ManifestChange_KeepsLinks()
    {
        var changes = new FakeReplicaChanges();
        var cache = new BlobLinkCache(TimeProvider.System, changes);
        cache.Add(Repository, Blob, 42, cache.Generation);

        changes.RaiseChangedElsewhere(new RepositoryChange(Repository));

        Assert.True(cache.TryGet(Repository, Blob, out _));
    }

    [Fact]
    public void ChangesMayBeMissed_DropsEverything()
    {
        var changes = new FakeReplicaChanges();
        var cache = new BlobLinkCache(TimeProvider.System, changes);
        cache.Add(Repository, Blob, 42, cache.Generation);

        changes.RaiseChangesMayBeMissed();

        Assert.False(cache.TryGet(Repository, Blob, out _));
    }

    [Fact]
    public void TryGet_AfterLifetime_Misses()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UnixEpoch);
        var cache = new BlobLinkCache(clock);
        cache.Add(Repository, Blob, 42, cache.Generation);

        clock.Advance(TimeSpan.FromSeconds(6));

        Assert.False(cache.TryGet(Repository, Blob, out _));
    }

    [Fact]
    public void Add_WhileNotCurrent_IsNotKept()
    {
        var changes = new FakeReplicaChanges { IsCurrent = false };
        var cache = new BlobLinkCache(TimeProvider.System, changes);

        cache.Add(Repository, Blob, 42, cache.Generation);

        Assert.False(cache.TryGet(Repository, Blob, out _));
    }

    [Fact]
    public void TryGet_NoLongerCurrent_Misses()
    {
        var changes = new FakeReplicaChanges();
        var cache = new BlobLinkCache(TimeProvider.System, changes);
        cache.Add(Repository, Blob, 42, cache.Generation);

        changes.IsCurrent = false;

        Assert.False(cache.TryGet(Repository, Blob, out _));
        changes.IsCurrent = true;
        Assert.True(cache.TryGet(Repository, Blob, out _));
    }

    [Fact]
    public void Add_LinksFarBeyondTheBudget_CacheStaysWithinIt()
    {
        const long budget = 4_000;
        var cache = new BlobLinkCache(TimeProvider.System, budgetBytes: budget);

        for (var i = 0; i < 500; i++)
        {
            cache.Add(Repository, TestDigests.Sha256Of($"blob{i}"), i, cache.Generation);
            Assert.InRange(cache.Bytes, 0, budget);
        }

        // Each was looked up once: a full cache keeps what it holds rather than rotate for one (see
        // AdmissionFilter); looked up again, a link is kept.
        cache.Add(Repository, TestDigests.Sha256Of("blob499"), 499, cache.Generation);
        Assert.True(cache.TryGet(Repository, TestDigests.Sha256Of("blob499"), out var size));
        Assert.Equal(499, size);
        Assert.InRange(cache.Bytes, 0, budget);
    }
}
