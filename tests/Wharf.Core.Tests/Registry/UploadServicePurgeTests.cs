using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Registry;

namespace Wharf.Core.Tests.Registry;

public sealed class UploadServicePurgeTests : UploadServiceTestBase
{
    [Fact]
    public async Task PurgeStartedBeforeAsync_OldSession_IsDiscardedWithItsBytes()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var service = new UploadService(Storage, Metadata, clock);
        var old = await service.StartAsync(Repository, Ct);
        await AppendChunkAsync(old, 0, "abandoned", service);
        clock.Advance(TimeSpan.FromHours(2));
        var fresh = await service.StartAsync(Repository, Ct);

        var purged = await service.PurgeStartedBeforeAsync(clock.GetUtcNow() - TimeSpan.FromHours(1), Ct);

        Assert.Equal(1, purged);
        Assert.False(Directory.Exists(UploadDirectory(Repository, old.Id)));
        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown, () => service.GetStatusAsync(Repository, old.Id.Value, Ct));
        Assert.Equal(0, (await service.GetStatusAsync(Repository, fresh.Id.Value, Ct)).Size);
    }

    [Fact]
    public async Task ListUploadsStartedBeforeAsync_ReturnsOnlyOlderSessionsOldestFirst()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var service = new UploadService(Storage, Metadata, clock);
        var first = await service.StartAsync(Repository, Ct);
        clock.Advance(TimeSpan.FromMinutes(1));
        var second = await service.StartAsync(OtherRepository, Ct);
        clock.Advance(TimeSpan.FromMinutes(1));
        await service.StartAsync(Repository, Ct);

        var stale = await Metadata.ListUploadsStartedBeforeAsync(clock.GetUtcNow() - TimeSpan.FromSeconds(30), 10, Ct);

        Assert.Equal([first.Id, second.Id], stale.Select(s => s.Id));
        Assert.Equal(OtherRepository, stale[1].Repository);
    }
}
