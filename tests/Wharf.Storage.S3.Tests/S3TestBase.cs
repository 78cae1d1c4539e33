using Amazon.S3.Model;

namespace Wharf.Storage.S3.Tests;

/// <summary>A fresh bucket on the shared engine for each test, the storage on it, and helpers that
/// look at the bucket directly (what keys exist, what uploads are in progress).</summary>
[Collection(RgwCollection.Name)]
public abstract class S3TestBase(RgwEngine rgw) : IAsyncLifetime
{
    protected const int MiB = 1024 * 1024;

    protected RgwEngine Rgw => rgw;

    protected string Bucket { get; private set; } = "";

    protected S3BlobStorage Storage { get; private set; } = null!;

    protected static CancellationToken Ct => CancellationToken.None;

    public async Task InitializeAsync()
    {
        Bucket = await rgw.CreateBucketAsync();
        Storage = new S3BlobStorage(rgw.Client, Bucket, prefix: null);
    }

    public Task DisposeAsync() => rgw.DeleteBucketAsync(Bucket);

    protected static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Appends <paramref name="content"/> in chunks of the given sizes, one writer (one
    /// commit) per chunk, each writing in pieces of <paramref name="writeSize"/>.</summary>
    protected async Task AppendInChunksAsync(S3BlobStorage storage, string path, byte[] content, IEnumerable<int> chunkSizes, int writeSize)
    {
        var offset = 0;
        foreach (var chunk in chunkSizes)
        {
            await using var writer = await storage.OpenAppendWriterAsync(path, Ct);
            Assert.Equal(offset, writer.Size);
            for (var end = offset + chunk; offset < end;)
            {
                var length = Math.Min(writeSize, end - offset);
                await writer.WriteAsync(content.AsMemory(offset, length), Ct);
                offset += length;
            }
            await writer.CommitAsync(Ct);
        }
        Assert.Equal(content.Length, offset);
    }

    protected static async Task<byte[]?> ReadAllAsync(IBlobStorage storage, string path, long offset = 0)
    {
        await using var stream = await storage.OpenReadAsync(path, offset, Ct);
        if (stream is null)
        {
            return null;
        }
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }

    protected Task<List<string>> KeysAsync() => rgw.ListKeysAsync(Bucket);

    protected async Task<List<S3Object>> ObjectsAsync(string prefix)
    {
        var page = await rgw.Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix });
        return page.S3Objects ?? [];
    }

    protected async Task<List<string>> MultipartUploadsAsync()
    {
        var uploads = await rgw.Client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket });
        return [.. (uploads.MultipartUploads ?? []).Select(u => u.Key)];
    }

    protected static void AssertSameBytes(byte[] expected, byte[]? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.AsSpan().SequenceEqual(actual), "the bytes read differ from the bytes written");
    }
}
