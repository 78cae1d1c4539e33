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
        cache.Add(Repository, Reference.Parse("kept"), Record, "{}"u8.ToArray());

        for (var i = 0; i < 30_000; i++)
        {
            cache.Add(Repository, Reference.Parse("refreshed"), Record, "{}"u8.ToArray());
        }

        Assert.True(cache.TryGet(Repository, Reference.Parse("kept"), out _, out _));
    }

    [Fact]
    public void Invalidate_Repository_DropsItsEntries()
    {
        var cache = new ManifestCache(TimeProvider.System);
        cache.Add(Repository, Reference.Parse("v1"), Record, "{}"u8.ToArray());

        cache.Invalidate(Repository);

        Assert.False(cache.TryGet(Repository, Reference.Parse("v1"), out _, out _));
    }

    [Fact]
    public void TryGet_AfterLifetime_Misses()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UnixEpoch);
        var cache = new ManifestCache(clock);
        cache.Add(Repository, Reference.Parse("v1"), Record, "{}"u8.ToArray());

        clock.Advance(TimeSpan.FromSeconds(6));

        Assert.False(cache.TryGet(Repository, Reference.Parse("v1"), out _, out _));
    }
}
