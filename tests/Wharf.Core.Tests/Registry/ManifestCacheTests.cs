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
    public void TryGetBytes_AddedByDigest_ReturnsThem()
    {
        var cache = new ManifestCache(TimeProvider.System);
        cache.AddBytes(Record.Digest, "{}"u8.ToArray());

        Assert.True(cache.TryGetBytes(Record.Digest, out var bytes));
        Assert.Equal("{}"u8.ToArray(), bytes);
    }

    [Fact]
    public void AddBytes_LargerThanTheLimit_IsNotKept()
    {
        var cache = new ManifestCache(TimeProvider.System);

        cache.AddBytes(Record.Digest, new byte[ManifestCache.MaxCachedBytes + 1]);

        Assert.False(cache.TryGetBytes(Record.Digest, out _));
    }

    [Fact]
    public void TryGetBytes_AfterRepositoryInvalidated_StillHits()
    {
        // Content-addressed: a tag moving or a manifest deleted does not change the bytes of a digest.
        var cache = new ManifestCache(TimeProvider.System);
        cache.AddBytes(Record.Digest, "{}"u8.ToArray());

        cache.Invalidate(Repository);

        Assert.True(cache.TryGetBytes(Record.Digest, out _));
    }

    [Fact]
    public void ChangedElsewhere_ManifestOrTagChange_DropsTheRepositorysEntries()
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
    public void ChangedElsewhere_BlobUnlinked_KeepsManifests()
    {
        var changes = new FakeReplicaChanges();
        var cache = new ManifestCache(TimeProvider.System, changes);
        cache.Add(Repository, Reference.Parse("v1"), Record, "{}"u8.ToArray(), cache.Generation);

        changes.RaiseChangedElsewhere(new RepositoryChange(Repository, TestDigests.Sha256Of("layer")));

        Assert.True(cache.TryGet(Repository, Reference.Parse("v1"), out _, out _));
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

    [Fact]
    public void TryGet_NotCurrent_MissesUntilCurrentAgain()
    {
        var changes = new FakeReplicaChanges();
        var cache = new ManifestCache(TimeProvider.System, changes);
        cache.Add(Repository, Reference.Parse("v1"), Record, "{}"u8.ToArray(), cache.Generation);

        changes.IsCurrent = false;
        Assert.False(cache.TryGet(Repository, Reference.Parse("v1"), out _, out _));

        changes.IsCurrent = true;
        Assert.True(cache.TryGet(Repository, Reference.Parse("v1"), out _, out _));
    }

    [Fact]
    public void Add_WhileNotCurrent_IsNotKept()
    {
        var changes = new FakeReplicaChanges { IsCurrent = false };
        var cache = new ManifestCache(TimeProvider.System, changes);

        cache.Add(Repository, Reference.Parse("v1"), Record, "{}"u8.ToArray(), cache.Generation);
        changes.IsCurrent = true;

        Assert.False(cache.TryGet(Repository, Reference.Parse("v1"), out _, out _));
    }

    [Fact]
    public void Add_RecordWithLongAnnotations_CountsThemAgainstTheBudget()
    {
        // The bytes alone are a fraction of what an entry holds: the record's strings (here 20 KB
        // of annotations) and the repository's own dictionary count too.
        var cache = new ManifestCache(TimeProvider.System, budgetBytes: 1024 * 1024);
        var annotations = "{\"note\":\"" + new string('a', 10_000) + "\"}";
        var record = Record with { AnnotationsJson = annotations };

        cache.Add(Repository, Reference.Parse("v1"), record, "{}"u8.ToArray(), cache.Generation);

        Assert.True(cache.TryGet(Repository, Reference.Parse("v1"), out _, out _));
        Assert.InRange(cache.Bytes, 2 * annotations.Length + 2 * MediaTypes.OciManifest.Length, 1024 * 1024);
    }

    [Fact]
    public void Add_ManifestsFarBeyondTheBudget_CacheStaysWithinIt()
    {
        const long budget = 64 * 1024;
        var cache = new ManifestCache(TimeProvider.System, budgetBytes: budget);

        for (var i = 0; i < 1_000; i++)
        {
            var record = new ManifestRecord(TestDigests.Sha256Of($"m{i}"), MediaTypes.OciManifest, 1024);
            var bytes = new byte[1024];
            cache.AddBytes(record.Digest, bytes);
            cache.Add(RepositoryName.Parse($"team/app{i % 10}"), Reference.Parse($"v{i}"), record, bytes, cache.Generation);
            Assert.InRange(cache.Bytes, 0, budget);
        }

        // Each was asked for once: a full cache keeps what it holds rather than start over for one
        // (see AdmissionFilter); asked for again, a manifest is kept.
        var last = new ManifestRecord(TestDigests.Sha256Of("m999"), MediaTypes.OciManifest, 1024);
        cache.AddBytes(last.Digest, new byte[1024]);
        cache.Add(RepositoryName.Parse("team/app9"), Reference.Parse("v999"), last, new byte[1024], cache.Generation);
        Assert.True(cache.TryGetBytes(last.Digest, out _));
        Assert.True(cache.TryGet(RepositoryName.Parse("team/app9"), Reference.Parse("v999"), out _, out _));
        Assert.InRange(cache.Bytes, 0, budget);
    }

    [Fact]
    public void Add_FullCacheManifestsAskedForOnce_MostAreNotKept()
    {
        const long budget = 64 * 1024;
        var cache = new ManifestCache(TimeProvider.System, budgetBytes: budget);

        var kept = 0;
        for (var i = 0; i < 1_000; i++)
        {
            var record = new ManifestRecord(TestDigests.Sha256Of($"m{i}"), MediaTypes.OciManifest, 1024);
            var reference = Reference.Parse($"v{i}");
            cache.Add(Repository, reference, record, new byte[1024], cache.Generation);
            kept += cache.TryGet(Repository, reference, out _, out _) ? 1 : 0;
        }

        // 24 fit in the half of the budget for references, and the 25th starts over; after that,
        // only a collision in the admission filter (at most one key in eight) lets one seen once in.
        Assert.InRange(kept, 20, 25 + (1_000 / 8));
    }

    [Fact]
    public void Add_BudgetZero_KeepsNothing()
    {
        var cache = new ManifestCache(TimeProvider.System, budgetBytes: 0);

        cache.AddBytes(Record.Digest, "{}"u8.ToArray());
        cache.Add(Repository, Reference.Parse("v1"), Record, "{}"u8.ToArray(), cache.Generation);

        Assert.False(cache.TryGetBytes(Record.Digest, out _));
        Assert.False(cache.TryGet(Repository, Reference.Parse("v1"), out _, out _));
    }
}
