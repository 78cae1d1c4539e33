using System.Text;
using Amazon.S3.Model;

namespace Wharf.Storage.S3.Tests;

/// <summary>Where objects lie in the bucket: distribution's keys under the prefix, segments hidden,
/// leftovers of a writer that died before its commit ignored and cleared.</summary>
public sealed class S3LayoutTests(RgwEngine rgw) : S3TestBase(rgw)
{
    [Fact]
    public async Task OpenReadAsync_ObjectPutByAnotherClientUnderPrefix_ReadsIt()
    {
        // What distribution's S3 driver with rootdirectory "registry" leaves in a bucket.
        const string path = "docker/registry/v2/blobs/sha256/cd/cdcd/data";
        await Rgw.Client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "registry/" + path, ContentBody = "layer bytes" });
        var storage = new S3BlobStorage(Rgw.Client, Bucket, "/registry/");

        Assert.Equal(11, await storage.GetSizeAsync(path, Ct));
        Assert.Equal("layer bytes", Encoding.UTF8.GetString((await ReadAllAsync(storage, path))!));
        Assert.Equal(["sha256"], await ListAsync(storage, "docker/registry/v2/blobs"));
    }

    [Fact]
    public async Task OpenAppendWriterAsync_WithPrefix_StoresEveryKeyUnderIt()
    {
        var storage = new S3BlobStorage(Rgw.Client, Bucket, "tenant/a");

        await AppendInChunksAsync(storage, "uploads/x/data", RandomBytes(300, 1), [100, 100, 100], writeSize: 50);

        Assert.All(await KeysAsync(), key => Assert.StartsWith("tenant/a/uploads/x/data", key, StringComparison.Ordinal));
        Assert.Equal(300, await storage.GetSizeAsync("uploads/x/data", Ct));
    }

    [Fact]
    public async Task ListAsync_SegmentedObject_NamesItOnceWithoutItsSegments()
    {
        await AppendInChunksAsync(Storage, "dir/a", RandomBytes(20, 2), [10, 10], writeSize: 10);
        await AppendInChunksAsync(Storage, "dir/b", RandomBytes(10, 3), [10], writeSize: 10);

        Assert.Equal(["a", "b"], await ListAsync(Storage, "dir"));
    }

    [Fact]
    public async Task ListAsync_PlainObjectWithLeftoverSegments_NamesItOnce()
    {
        await AppendInChunksAsync(Storage, "dir/a", RandomBytes(10, 4), [10], writeSize: 10);
        await PutLeftoverSegmentAsync("dir/a");
        await AppendInChunksAsync(Storage, "dir/a-b", RandomBytes(10, 5), [10], writeSize: 10);

        Assert.Equal(["a", "a-b"], await ListAsync(Storage, "dir"));
    }

    [Fact]
    public async Task GetSizeAsync_PlainObjectWithLeftoverSegments_IsThePlainObject()
    {
        await AppendInChunksAsync(Storage, "object", RandomBytes(10, 6), [10], writeSize: 10);
        await PutLeftoverSegmentAsync("object");

        Assert.Equal(10, await Storage.GetSizeAsync("object", Ct));
    }

    [Fact]
    public async Task OpenAppendWriterAsync_PlainObjectWithLeftoverSegments_ClearsThemAndAppends()
    {
        var content = RandomBytes(30, 7);
        await AppendInChunksAsync(Storage, "object", content[..10], [10], writeSize: 10);
        await PutLeftoverSegmentAsync("object");

        await using (var writer = await Storage.OpenAppendWriterAsync("object", Ct))
        {
            await writer.WriteAsync(content.AsMemory(10), Ct);
            await writer.CommitAsync(Ct);
        }

        AssertSameBytes(content, await ReadAllAsync(Storage, "object"));
        Assert.Equal(["object~segments/00000000000000000000"], await KeysAsync());
    }

    [Fact]
    public async Task GetSizeAsync_SegmentsWithGap_Throws()
    {
        await Rgw.Client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "object~segments/00000000000000000000", ContentBody = "abc" });
        await Rgw.Client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "object~segments/00000000000000000005", ContentBody = "def" });

        await Assert.ThrowsAsync<InvalidDataException>(() => Storage.GetSizeAsync("object", Ct));
    }

    [Fact]
    public async Task DeleteAsync_PrefixOfMoreThanOneBatch_RemovesEverything()
    {
        // One more than a DeleteObjects request takes, plus a segmented object.
        await Parallel.ForEachAsync(Enumerable.Range(0, 1001), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            await Rgw.Client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = $"repo/_uploads/{i:D4}/data", ContentBody = "x" }, ct));
        await AppendInChunksAsync(Storage, "repo/_uploads/segmented/data", RandomBytes(20, 8), [10, 10], writeSize: 10);

        Assert.True(await Storage.DeleteAsync("repo", Ct));

        Assert.Empty(await KeysAsync());
    }

    [Fact]
    public async Task DeleteAsync_SegmentedObject_RemovesSegments()
    {
        await AppendInChunksAsync(Storage, "dir/object", RandomBytes(20, 9), [10, 10], writeSize: 10);

        Assert.True(await Storage.DeleteAsync("dir/object", Ct));

        Assert.Empty(await KeysAsync());
        Assert.Null(await Storage.GetSizeAsync("dir/object", Ct));
    }

    [Fact]
    public async Task CheckAccessAsync_ExistingBucket_FindsNoProblem()
    {
        Assert.Null(await Storage.CheckAccessAsync(Ct));
    }

    [Fact]
    public async Task CheckAccessAsync_MissingBucket_NamesIt()
    {
        var storage = new S3BlobStorage(Rgw.Client, "no-such-bucket", prefix: null);

        var problem = await storage.CheckAccessAsync(Ct);

        Assert.NotNull(problem);
        Assert.Contains("'no-such-bucket'", problem, StringComparison.Ordinal);
        Assert.Contains("NoSuchBucket", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAccessAsync_WrongSecretKey_SaysTheBucketCannotBeListed()
    {
        var options = Rgw.Options(Bucket);
        options.SecretKey = "not-the-secret";
        using var storage = new S3BlobStorage(options);

        var problem = await storage.CheckAccessAsync(Ct);

        Assert.NotNull(problem);
        Assert.Contains("cannot be listed: 403", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TryGetLocalFile_AnyPath_ReturnsNull()
    {
        Assert.Null(Storage.TryGetLocalFile("docker/registry/v2/blobs/sha256/ab/ab/data"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a//b")]
    [InlineData("a/../b")]
    [InlineData("./a")]
    [InlineData("a~segments/00000000000000000000")]
    public async Task GetSizeAsync_NotAStoragePath_Throws(string path)
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Storage.GetSizeAsync(path, Ct));
    }

    private async Task PutLeftoverSegmentAsync(string path) =>
        await Rgw.Client.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = path + "~segments/00000000000000000000", ContentBody = "left by a writer that died" });

    private static async Task<List<string>> ListAsync(S3BlobStorage storage, string prefix)
    {
        var names = new List<string>();
        await foreach (var name in storage.ListAsync(prefix, Ct))
        {
            names.Add(name);
        }
        return names;
    }
}
