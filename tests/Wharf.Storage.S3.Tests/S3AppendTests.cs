using Amazon.S3.Model;

namespace Wharf.Storage.S3.Tests;

/// <summary>Appends across writers, as chunked uploads make them, and moves of what they leave.</summary>
public sealed class S3AppendTests(RgwEngine rgw) : S3TestBase(rgw)
{
    private const string Upload = "docker/registry/v2/repositories/team/app/_uploads/0b9e9c4e-7a4c-4b8a-9f00-2f7f6a1c9d10/data";
    private const string Blob = "docker/registry/v2/blobs/sha256/ab/abababababababababababababababababababababababababababababababab/data";

    [Fact]
    public async Task AppendWriters_ManyTinyChunksThenMove_GiveExactBytes()
    {
        // 200 one-byte chunks, then 100 KiB chunks past the 5 MiB part minimum and beyond.
        int[] chunks = [.. Enumerable.Repeat(1, 200), .. Enumerable.Repeat(100 * 1024, 60)];
        var content = RandomBytes(chunks.Sum(), seed: 1);

        await AppendInChunksAsync(Storage, Upload, content, chunks, writeSize: 64 * 1024);
        Assert.Equal(content.Length, await Storage.GetSizeAsync(Upload, Ct));
        Assert.Equal(MoveResult.Moved, await Storage.MoveAsync(Upload, Blob, Ct));

        AssertSameBytes(content, await ReadAllAsync(Storage, Blob));
        Assert.Equal([Blob], await KeysAsync());
    }

    [Fact]
    public async Task AppendWriters_LargeObjectInUnalignedChunks_MoveLeavesOnlyFinalObjectWithExactBytes()
    {
        int[] chunks = [7 * MiB + 3, 1, 3 * MiB - 5, 9 * MiB + 77, 123, 2 * MiB];
        var content = RandomBytes(chunks.Sum(), seed: 2);

        await AppendInChunksAsync(Storage, Upload, content, chunks, writeSize: MiB - 3);

        // Stored as segments; every one but the last at least S3's minimum part.
        var segments = await ObjectsAsync(Upload + "~segments/");
        Assert.True(segments.Count > 1, $"expected several segments, found {segments.Count}");
        Assert.All(segments.SkipLast(1), s => Assert.True(s.Size >= 5 * MiB, $"{s.Key} holds {s.Size} bytes"));
        AssertSameBytes(content, await ReadAllAsync(Storage, Upload));

        Assert.Equal(MoveResult.Moved, await Storage.MoveAsync(Upload, Blob, Ct));

        AssertSameBytes(content, await ReadAllAsync(Storage, Blob));
        Assert.Equal([Blob], await KeysAsync());
        Assert.Empty(await MultipartUploadsAsync());
    }

    [Fact]
    public async Task MoveAsync_SegmentedObject_LeavesOnePlainObjectAtExactlyItsKey()
    {
        var content = RandomBytes(12 * MiB + 5, seed: 3);
        await AppendInChunksAsync(Storage, Upload, content, [6 * MiB, 6 * MiB + 5], writeSize: MiB);

        await Storage.MoveAsync(Upload, Blob, Ct);

        // Read with a plain GET, as distribution's driver (or any S3 client) would.
        using var response = await Rgw.Client.GetObjectAsync(Bucket, Blob);
        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy);
        AssertSameBytes(content, copy.ToArray());
        Assert.Equal([Blob], await KeysAsync());
    }

    [Fact]
    public async Task OpenAppendWriterAsync_FreshKeySingleWriter_WritesPlainObjectAtItsKey()
    {
        var content = RandomBytes(11 * MiB + 1, seed: 4);

        await AppendInChunksAsync(Storage, Upload, content, [content.Length], writeSize: MiB);

        var head = await Rgw.Client.GetObjectMetadataAsync(Bucket, Upload);
        Assert.Equal(content.Length, head.ContentLength);
        Assert.Equal([Upload], await KeysAsync());
        Assert.Empty(await MultipartUploadsAsync());
    }

    [Fact]
    public async Task DisposeAsync_UncommittedLargeWriterOnMissingObject_LeavesNoKeyAndNoMultipartUpload()
    {
        await using (var writer = await Storage.OpenAppendWriterAsync(Upload, Ct))
        {
            await writer.WriteAsync(RandomBytes(20 * MiB, seed: 5), Ct);
        }

        Assert.Empty(await KeysAsync());
        Assert.Empty(await MultipartUploadsAsync());
        Assert.Null(await Storage.GetSizeAsync(Upload, Ct));
    }

    [Fact]
    public async Task DisposeAsync_UncommittedLargeWriterOnSegmentedObject_LeavesObjectAndNoMultipartUpload()
    {
        var committed = RandomBytes(6 * MiB + 9, seed: 6);
        await AppendInChunksAsync(Storage, Upload, committed, [1000, committed.Length - 1000], writeSize: MiB);
        var keysBefore = await KeysAsync();

        await using (var writer = await Storage.OpenAppendWriterAsync(Upload, Ct))
        {
            await writer.WriteAsync(RandomBytes(20 * MiB, seed: 7), Ct);
        }

        Assert.Equal(keysBefore, await KeysAsync());
        Assert.Empty(await MultipartUploadsAsync());
        AssertSameBytes(committed, await ReadAllAsync(Storage, Upload));
    }

    [Fact]
    public async Task DisposeAsync_UncommittedSmallWriterOnPlainObject_LeavesOnlyThePlainObject()
    {
        var committed = RandomBytes(100, seed: 8);
        await AppendInChunksAsync(Storage, Upload, committed, [100], writeSize: 100);

        await using (var writer = await Storage.OpenAppendWriterAsync(Upload, Ct))
        {
            await writer.WriteAsync(RandomBytes(1000, seed: 9), Ct);
        }

        Assert.Equal([Upload], await KeysAsync());
        AssertSameBytes(committed, await ReadAllAsync(Storage, Upload));
    }

    [Fact]
    public async Task AppendWriters_LargePlainObjectThenAppends_KeepEveryByte()
    {
        // A first chunk past the part minimum stays a plain object; the next append copies it
        // server-side into segment 0 rather than reading it back.
        var content = RandomBytes(8 * MiB + 3 + 2 * MiB + 1, seed: 10);

        await AppendInChunksAsync(Storage, Upload, content, [8 * MiB + 3, 2 * MiB, 1], writeSize: MiB + 7);

        AssertSameBytes(content, await ReadAllAsync(Storage, Upload));
        Assert.DoesNotContain(Upload, await KeysAsync());
        Assert.Equal(MoveResult.Moved, await Storage.MoveAsync(Upload, Blob, Ct));
        AssertSameBytes(content, await ReadAllAsync(Storage, Blob));
        Assert.Equal([Blob], await KeysAsync());
    }

    [Fact]
    public async Task OpenReadAsync_SegmentedObjectAtOffsets_ReadsFromEachOffset()
    {
        var content = RandomBytes(6 * MiB + 100, seed: 11);
        await AppendInChunksAsync(Storage, Upload, content, [5 * MiB + 1, MiB, 99], writeSize: MiB);

        foreach (var offset in new[] { 0, 1, 5 * MiB, 5 * MiB + 1, 6 * MiB + 1, content.Length - 1, content.Length })
        {
            AssertSameBytes(content[offset..], await ReadAllAsync(Storage, Upload, offset));
        }
    }

    [Fact]
    public async Task OpenReadAsync_SeekAcrossSegments_ReadsFromNewPosition()
    {
        var content = RandomBytes(6 * MiB, seed: 12);
        await AppendInChunksAsync(Storage, Upload, content, [5 * MiB + 10, MiB - 10], writeSize: MiB);
        await using var stream = await Storage.OpenReadAsync(Upload, 0, Ct);
        Assert.NotNull(stream);
        var buffer = new byte[20];

        stream.Seek(5 * MiB, SeekOrigin.Begin);
        await stream.ReadExactlyAsync(buffer, Ct);

        Assert.Equal(content.AsSpan(5 * MiB, 20).ToArray(), buffer);
        Assert.Equal(content.Length, stream.Length);
    }

    [Fact]
    public async Task ComposeAsync_MorePiecesThanPartsPerUpload_ComposesInStagesAndLeavesNoIntermediate()
    {
        // Five segments with at most two parts to an upload stand in for over 10,000 with 10,000.
        int[] chunks = [5 * MiB, 5 * MiB + 1, 5 * MiB + 2, 5 * MiB + 3, 4];
        var content = RandomBytes(chunks.Sum(), seed: 14);
        await AppendInChunksAsync(Storage, Upload, content, chunks, writeSize: MiB);
        var bucket = new S3Bucket(Rgw.Client, Bucket);
        var keys = new S3KeyLayout(null);
        var pieces = await StoredObject.ListSegmentsAsync(bucket, keys, Upload, Ct);
        Assert.Equal(5, pieces.Count);

        await S3Compose.ComposeAsync(bucket, pieces, Blob, keys.Segments(Upload) + "compose-", Ct, maxParts: 2);

        AssertSameBytes(content, await ReadAllAsync(Storage, Blob));
        Assert.Equal([Blob, .. pieces.Select(p => p.Key)], await KeysAsync());
        Assert.Empty(await MultipartUploadsAsync());
    }

    [Fact]
    public async Task MoveAsync_DestinationExists_DropsEverySegment()
    {
        var content = RandomBytes(6 * MiB, seed: 13);
        await AppendInChunksAsync(Storage, Upload, content, [5 * MiB, MiB], writeSize: MiB);
        await Rgw.Client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = Blob, ContentBody = "already" });

        Assert.Equal(MoveResult.DestinationExisted, await Storage.MoveAsync(Upload, Blob, Ct));

        Assert.Equal([Blob], await KeysAsync());
    }
}
