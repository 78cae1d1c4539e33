using Wharf.Distribution;
using Wharf.Maintenance;
using Wharf.Metadata;
using Wharf.Storage;
using Wharf.Tests.Api;

namespace Wharf.Tests.Maintenance;

/// <summary>The background upload purge of a running server: it runs at start, and only in the
/// process that holds the purge lease (one replica of a cluster at a time).</summary>
public sealed class UploadPurgeTests
{
    private static readonly DateTimeOffset LongAgo = DateTimeOffset.UtcNow - TimeSpan.FromDays(3);

    [Fact]
    public async Task Start_LeaseFree_PurgesOldSessions()
    {
        using var factory = new WharfApiFactory();
        var session = await CreateOldSessionAsync(factory.StorageRoot);

        using var client = factory.CreateClient();

        Assert.True(await EventuallyAsync(async () => await SessionExistsAsync(factory.StorageRoot, session) == false),
            "the old upload session was not purged at start");
    }

    [Fact]
    public async Task Start_LeaseHeldByAnotherReplica_LeavesSessionsToIt()
    {
        using var factory = new WharfApiFactory();
        var session = await CreateOldSessionAsync(factory.StorageRoot);
        using (var store = new SqliteMetadataStore(Path.Combine(factory.StorageRoot, "wharf.db")))
        {
            Assert.True(await store.TryAcquireLeaseAsync(UploadPurge.LeaseName, "another-replica", TimeSpan.FromHours(1), default));
        }

        using var client = factory.CreateClient();
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.True(await SessionExistsAsync(factory.StorageRoot, session));
    }

    private static async Task<UploadId> CreateOldSessionAsync(string storageRoot)
    {
        using var store = new SqliteMetadataStore(Path.Combine(storageRoot, "wharf.db"));
        var id = UploadId.New();
        await store.CreateUploadAsync(new UploadSession(id, RepositoryName.Parse("team/app"), LongAgo), default);
        return id;
    }

    private static async Task<bool> SessionExistsAsync(string storageRoot, UploadId id)
    {
        using var store = new SqliteMetadataStore(Path.Combine(storageRoot, "wharf.db"));
        return await store.GetUploadAsync(id, default) is not null;
    }

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return true;
            }
            await Task.Delay(50);
        }
        return false;
    }
}
