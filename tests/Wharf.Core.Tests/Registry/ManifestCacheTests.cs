using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Registry;

namespace Wharf.Core.Tests.Registry;

public sealed class ManifestCacheTests
{
    private static readonly RepositoryName Repository = RepositoryName.Parse("team/app");
    private static readonly ManifestRecord Record = new(TestDigests.Sha256Of("m"), MediaTypes.OciManifest, 2);

    [Fact]
    public void Add_SameReferenceManyTimes_DoesNotEvictOtherEntries()
    {
        var cache = new ManifestCache(TimeProvider.System);
        cache.Add(Repository, Reference.Parse("kept"), Record, "{}"u8.ToArray(), cache.Generation);

        for (var i = 0; i < 30_000; i++)
        {
            cache.Add(Repository, Reference.Parse("refreshed"), Record, "{}"u8.ToArray(), cache.Generation);
        }

        Assert.True(cache.TryGet(Repository, Reference.Parse("kept"), out _, out _));
    }

    [Fact]
    public void Invalidate_Repository_DropsItsEntries()
    {
        var cache = new ManifestCache(TimeProvider.System);
        cache.Add(Repository, Reference.Parse("v1"), Record, "{}"u8.ToArray(), cache.Generation);

        cache.Invalidate(Repository);

        Assert.False(cache.TryGet(Repository, Reference.Parse("v1"), out _, out _));
    }

    [Fact]
    public void TryGet_AfterLifetime_Misses()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UnixEpoch);
        var cache = new ManifestCache(clock);
        cache.Add(Repository, Reference.Parse("v1"), Record, "{}"u8.ToArray(), cache.Generation);

        clock.Advance(TimeSpan.FromSeconds(6));

        Assert.False(cache.TryGet(Repository, Reference.Parse("v1"), out _, out _));
    }

    [Fact]
    public void Add_LookupOverlappedAnInvalidation_IsNotKept()
    {
        var cache = new ManifestCache(TimeProvider.System);
        var generation = cache.Generation;

        cache.Invalidate(Repository);
        cache.Add(Repository, Reference.Parse("v1"), Record, "{}"u8.ToArray(), generation);

        Assert.False(cache.TryGet(Repository, Reference.Parse("v1"), out _, out _));
    }

    [Fact]
    public void ChangedElsewhere_Repository_DropsItsEntriesOnly()
    {
        var changes = new FakeReplicaChanges();
        var cache = new ManifestCache(TimeProvider.System, changes);
        var other = RepositoryName.Parse("team/other");
        cache.Add(Repository, Reference.Parse("v1"), Record, "{}"u8.ToArray(), cache.Generation);
        cache.Add(other, Reference.Parse("v1"), Record, "{}"u8.ToArray(), cache.Generation);

        changes.RaiseChangedElsewhere(new RepositoryChange(Repository));

        Assert.False(cache.TryGet(Repository, Reference.Parse("v1"), out _, out _));
        Assert.True(cache.TryGet(other, Reference.Parse("v1"), out _, out _));
    }

    [Fact]
    public void ChangesMayBeMissed_DropsEverything()
    {
        var changes = new FakeReplicaChanges();
        var cache = new ManifestCache(TimeProvider.System, changes);
        cache.Add(Repository, Reference.Parse("v1"), Record, "{}"u8.ToArray(), cache.Generation);

        changes.RaiseChangesMayBeMissed();

        Assert.False(cache.TryGet(Repository, Reference.Parse("v1"), out _, out _));
    }
}
