using Amazon.S3.Model;

namespace Wharf.Storage.S3.Tests;

/// <summary>Multipart uploads that a killed process left behind are aborted by the upload purge
/// (<see cref="Wharf.Storage.IAbandonedWrites"/>), and only those of this storage's prefix.</summary>
public sealed class S3AbandonedWritesTests(RgwEngine rgw) : S3TestBase(rgw)
{
    private const string Upload = "docker/registry/v2/repositories/team/app/_uploads/0b9e9c4e-7a4c-4b8a-9f00-2f7f6a1c9d10/data~segments/00000000000000000000";

    [Fact]
    public async Task DiscardBegunBeforeAsync_UploadOlderThanCutoff_IsAborted()
    {
        await BeginAbandonedUploadAsync(Upload);

        var discarded = await Storage.DiscardBegunBeforeAsync(DateTimeOffset.UtcNow.AddMinutes(5), Ct);

        Assert.Equal(1, discarded);
        Assert.Empty(await InProgressAsync());
    }

    [Fact]
    public async Task DiscardBegunBeforeAsync_UploadNewerThanCutoff_IsKept()
    {
        await BeginAbandonedUploadAsync(Upload);

        var discarded = await Storage.DiscardBegunBeforeAsync(DateTimeOffset.UtcNow.AddHours(-1), Ct);

        Assert.Equal(0, discarded);
        Assert.Single(await InProgressAsync());
    }

    [Fact]
    public async Task DiscardBegunBeforeAsync_UploadOutsideThePrefix_IsLeftAlone()
    {
        var prefixed = new S3BlobStorage(Rgw.Client, Bucket, prefix: "registry");
        await BeginAbandonedUploadAsync("registry/" + Upload);
        await BeginAbandonedUploadAsync("someone-else/" + Upload);

        var discarded = await prefixed.DiscardBegunBeforeAsync(DateTimeOffset.UtcNow.AddMinutes(5), Ct);

        Assert.Equal(1, discarded);
        Assert.Equal(["someone-else/" + Upload], (await InProgressAsync()).Select(u => u.Key));
    }

    private async Task BeginAbandonedUploadAsync(string key)
    {
        var upload = await Rgw.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = key });
        using var part = new MemoryStream(RandomBytes(5 * MiB, seed: 3));
        await Rgw.Client.UploadPartAsync(new UploadPartRequest { BucketName = Bucket, Key = key, UploadId = upload.UploadId, PartNumber = 1, InputStream = part });
    }

    private async Task<List<MultipartUpload>> InProgressAsync() =>
        (await Rgw.Client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket })).MultipartUploads ?? [];
}
