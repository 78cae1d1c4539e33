using Wharf.Core.Tests.TestSupport;
using Wharf.Registry;

namespace Wharf.Core.Tests.Registry;

/// <summary>One chunked upload served by several processes on the same storage and metadata, as
/// replicas behind a load balancer without affinity serve it.</summary>
public sealed class UploadServiceReplicaTests : UploadServiceTestBase
{
    private const int ChunkBytes = 64 * 1024;

    [Fact]
    public async Task AppendAsync_ChunksAlternatingBetweenTwoReplicas_CompletesWithCorrectDigest()
    {
        var content = RandomContent(6 * ChunkBytes + 17);
        var (first, second) = (NewService(), NewService());
        var upload = await first.StartAsync(Repository, Ct);

        await AppendChunksAsync(upload, content, i => i % 2 == 0 ? first : second);
        var blob = await CompleteAsync(upload, TestDigests.Sha256Of(content), first);

        Assert.Equal(content.Length, blob.Size);
        Assert.Equal(content, await File.ReadAllBytesAsync(BlobFile(blob.Digest), Ct));
    }

    [Fact]
    public async Task AppendAsync_ReplicaThatMissedChunks_ReadsOnlyTheBytesItMissed()
    {
        var content = RandomContent(8 * ChunkBytes);
        var firstStorage = new ReadCountingBlobStorage(Storage);
        var first = new UploadService(firstStorage, Metadata, TimeProvider.System);
        var second = NewService();
        var upload = await first.StartAsync(Repository, Ct);

        // first: chunks 0-1; second: chunks 2-5; first again: chunks 6-7, then completes.
        await AppendChunksAsync(upload, content, i => i is >= 2 and <= 5 ? second : first);
        var blob = await CompleteAsync(upload, TestDigests.Sha256Of(content), first);

        Assert.Equal(TestDigests.Sha256Of(content), blob.Digest);
        Assert.Equal(4 * ChunkBytes, firstStorage.BytesRead);
    }

    [Fact]
    public async Task AppendAsync_FreshReplica_ReadsTheUploadOnce()
    {
        var content = RandomContent(4 * ChunkBytes);
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunksAsync(upload, content[..(3 * ChunkBytes)], _ => Service);
        var counting = new ReadCountingBlobStorage(Storage);
        var fresh = new UploadService(counting, Metadata, TimeProvider.System);

        await AppendChunkAsync(upload, 3 * ChunkBytes, content[(3 * ChunkBytes)..], fresh);
        await CompleteAsync(upload, TestDigests.Sha256Of(content), fresh);

        Assert.Equal(3 * ChunkBytes, counting.BytesRead);
    }

    [Fact]
    public async Task AppendAsync_CatchUpReadFailsMidway_NextChunkStillCompletesWithCorrectDigest()
    {
        var content = RandomContent(6 * ChunkBytes);
        var counting = new ReadCountingBlobStorage(Storage);
        var first = new UploadService(counting, Metadata, TimeProvider.System);
        var upload = await first.StartAsync(Repository, Ct);
        await AppendChunksAsync(upload, content[..ChunkBytes], _ => first);
        await AppendChunkAsync(upload, ChunkBytes, content[ChunkBytes..(4 * ChunkBytes)], NewService());

        // first must catch up 3 chunks; its read fails after part of them went into the hash.
        counting.FailAfterBytes = ChunkBytes + 100;
        await Assert.ThrowsAsync<IOException>(() => AppendChunkAsync(upload, 4 * ChunkBytes, content[(4 * ChunkBytes)..(5 * ChunkBytes)], first));
        await AppendChunkAsync(upload, 4 * ChunkBytes, content[(4 * ChunkBytes)..(5 * ChunkBytes)], first);
        await AppendChunkAsync(upload, 5 * ChunkBytes, content[(5 * ChunkBytes)..], first);
        var blob = await CompleteAsync(upload, TestDigests.Sha256Of(content), first);

        Assert.Equal(TestDigests.Sha256Of(content), blob.Digest);
    }

    [Fact]
    public async Task DropIdleHashStates_IdleUpload_IsRebuiltFromStorageAndStillCompletes()
    {
        var content = RandomContent(3 * ChunkBytes);
        var counting = new ReadCountingBlobStorage(Storage);
        var service = new UploadService(counting, Metadata, TimeProvider.System);
        var upload = await service.StartAsync(Repository, Ct);
        await AppendChunksAsync(upload, content[..(2 * ChunkBytes)], _ => service);

        Assert.Equal(1, service.DropIdleHashStates(DateTimeOffset.UtcNow.AddMinutes(1)));
        await AppendChunkAsync(upload, 2 * ChunkBytes, content[(2 * ChunkBytes)..], service);
        var blob = await CompleteAsync(upload, TestDigests.Sha256Of(content), service);

        Assert.Equal(TestDigests.Sha256Of(content), blob.Digest);
        Assert.Equal(2 * ChunkBytes, counting.BytesRead);
    }

    [Fact]
    public async Task DropIdleHashStates_RecentlyUsedUpload_KeepsIt()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello");

        Assert.Equal(0, Service.DropIdleHashStates(DateTimeOffset.UtcNow.AddMinutes(-1)));
    }

    private static byte[] RandomContent(int length)
    {
        var content = new byte[length];
        new Random(length).NextBytes(content);
        return content;
    }

    private static async Task AppendChunksAsync(UploadStatus upload, byte[] content, Func<int, UploadService> replicaForChunk)
    {
        for (var (offset, i) = (0, 0); offset < content.Length; offset += ChunkBytes, i++)
        {
            var length = Math.Min(ChunkBytes, content.Length - offset);
            await replicaForChunk(i).AppendAsync(Repository, upload.Id.Value, new MemoryStream(content, offset, length),
                Range(offset, offset + length - 1), length, Ct);
        }
    }

    private Task<UploadStatus> AppendChunkAsync(UploadStatus upload, long start, byte[] chunk, UploadService service) =>
        service.AppendAsync(Repository, upload.Id.Value, new MemoryStream(chunk), Range(start, start + chunk.Length - 1), chunk.Length, Ct);
}
