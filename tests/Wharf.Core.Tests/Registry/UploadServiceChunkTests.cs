using Wharf.Distribution;

namespace Wharf.Core.Tests.Registry;

public sealed class UploadServiceChunkTests : UploadServiceTestBase
{
    [Fact]
    public async Task StartAsync_NewUpload_HasSizeZeroAndRange0To0()
    {
        var upload = await Service.StartAsync(Repository, Ct);

        Assert.Equal(0, upload.Size);
        Assert.Equal("0-0", upload.RangeHeader);
    }

    [Fact]
    public async Task AppendAsync_FirstChunkWithRange_StoresBytes()
    {
        var upload = await Service.StartAsync(Repository, Ct);

        var status = await AppendChunkAsync(upload, 0, "hello ");

        Assert.Equal(6, status.Size);
        Assert.Equal("0-5", status.RangeHeader);
        Assert.Equal(6, StoredUploadSize(upload));
    }

    [Fact]
    public async Task AppendAsync_ConsecutiveChunks_ExtendUpload()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello ");

        var status = await AppendChunkAsync(upload, 6, "world");

        Assert.Equal(11, status.Size);
        Assert.Equal("0-10", status.RangeHeader);
        Assert.Equal(11, (await Service.GetStatusAsync(Repository, upload.Id.Value, Ct)).Size);
    }

    [Fact]
    public async Task AppendAsync_StreamWithoutRange_AppendsWholeBody()
    {
        var upload = await Service.StartAsync(Repository, Ct);

        await Service.AppendAsync(Repository, upload.Id.Value, Body("streamed "), null, null, Ct);
        var status = await Service.AppendAsync(Repository, upload.Id.Value, Body("again"), null, null, Ct);

        Assert.Equal(14, status.Size);
    }

    [Fact]
    public async Task AppendAsync_ChunkAfterGap_ThrowsBlobUploadInvalidWith416()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello");

        var error = await AssertRegistryErrorAsync(ErrorCode.BlobUploadInvalid, () => AppendChunkAsync(upload, 10, "world"));

        Assert.Equal(416, error.Status);
    }

    [Fact]
    public async Task AppendAsync_OutOfOrderChunk_ReportsCurrentRangeHeader()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello");

        var error = await AssertRegistryErrorAsync(ErrorCode.BlobUploadInvalid, () => AppendChunkAsync(upload, 10, "world"));

        Assert.NotNull(error.Headers);
        Assert.Equal("0-4", error.Headers["Range"]);
    }

    [Fact]
    public async Task AppendAsync_RepeatedChunk_ThrowsBlobUploadInvalid()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello");

        await AssertRegistryErrorAsync(ErrorCode.BlobUploadInvalid, () => AppendChunkAsync(upload, 0, "hello"));
    }

    [Fact]
    public async Task AppendAsync_FirstChunkNotAtZero_ThrowsBlobUploadInvalidWithRange0To0()
    {
        var upload = await Service.StartAsync(Repository, Ct);

        var error = await AssertRegistryErrorAsync(ErrorCode.BlobUploadInvalid, () => AppendChunkAsync(upload, 5, "hello"));

        Assert.Equal(416, error.Status);
        Assert.NotNull(error.Headers);
        Assert.Equal("0-0", error.Headers["Range"]);
    }

    [Fact]
    public async Task AppendAsync_OutOfOrderChunk_LeavesStoredSizeUnchanged()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello");

        await Assert.ThrowsAsync<RegistryException>(() => AppendChunkAsync(upload, 10, "world"));

        Assert.Equal(5, StoredUploadSize(upload));
    }

    [Fact]
    public async Task AppendAsync_BodyShorterThanRange_ThrowsSizeInvalid()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello");

        await AssertRegistryErrorAsync(ErrorCode.SizeInvalid,
            () => Service.AppendAsync(Repository, upload.Id.Value, Body("abc"), Range(5, 14), null, Ct));
    }

    [Fact]
    public async Task AppendAsync_BodyShorterThanRange_LeavesStoredSizeUnchanged()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello");

        await Assert.ThrowsAsync<RegistryException>(
            () => Service.AppendAsync(Repository, upload.Id.Value, Body("abc"), Range(5, 14), null, Ct));

        Assert.Equal(5, StoredUploadSize(upload));
        Assert.Equal(5, (await Service.GetStatusAsync(Repository, upload.Id.Value, Ct)).Size);
    }

    [Fact]
    public async Task AppendAsync_BodyLongerThanRange_ThrowsAndLeavesStoredSizeUnchanged()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello");

        await AssertRegistryErrorAsync(ErrorCode.SizeInvalid,
            () => Service.AppendAsync(Repository, upload.Id.Value, Body("much longer than five"), Range(5, 9), null, Ct));

        Assert.Equal(5, StoredUploadSize(upload));
    }

    [Fact]
    public async Task AppendAsync_ContentLengthDisagreesWithRange_ThrowsSizeInvalid()
    {
        var upload = await Service.StartAsync(Repository, Ct);

        await AssertRegistryErrorAsync(ErrorCode.SizeInvalid,
            () => Service.AppendAsync(Repository, upload.Id.Value, Body("hello"), Range(0, 4), 3, Ct));

        Assert.Equal(0, (await Service.GetStatusAsync(Repository, upload.Id.Value, Ct)).Size);
    }

    [Fact]
    public async Task AppendAsync_RetryAfterShortChunk_CompletesWithCorrectDigest()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello ");
        await Assert.ThrowsAsync<RegistryException>(
            () => Service.AppendAsync(Repository, upload.Id.Value, Body("wor"), Range(6, 10), null, Ct));

        await AppendChunkAsync(upload, 6, "world");
        var blob = await CompleteAsync(upload, TestSupport.TestDigests.Sha256Of("hello world"));

        Assert.Equal(11, blob.Size);
        Assert.Equal("hello world", await File.ReadAllTextAsync(BlobFile(blob.Digest), Ct));
    }

    [Fact]
    public async Task AppendAsync_LargeChunks_StoresEveryByte()
    {
        var content = new byte[(3 * 1024 * 1024) + 123];
        new Random(7).NextBytes(content);
        var upload = await Service.StartAsync(Repository, Ct);
        var half = content.Length / 2;

        await Service.AppendAsync(Repository, upload.Id.Value, new MemoryStream(content[..half]), Range(0, half - 1), half, Ct);
        await Service.AppendAsync(Repository, upload.Id.Value, new MemoryStream(content[half..]), Range(half, content.Length - 1), content.Length - half, Ct);
        var blob = await CompleteAsync(upload, TestSupport.TestDigests.Sha256Of(content));

        Assert.Equal(content.Length, blob.Size);
        Assert.Equal(content, await File.ReadAllBytesAsync(BlobFile(blob.Digest), Ct));
    }

    [Fact]
    public async Task GetStatusAsync_AfterChunks_ReportsStoredSize()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "0123456789");

        var status = await Service.GetStatusAsync(Repository, upload.Id.Value, Ct);

        Assert.Equal(upload.Id, status.Id);
        Assert.Equal(10, status.Size);
        Assert.Equal("0-9", status.RangeHeader);
    }
}
