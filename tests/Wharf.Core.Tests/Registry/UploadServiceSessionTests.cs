using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Storage;

namespace Wharf.Core.Tests.Registry;

public sealed class UploadServiceSessionTests : UploadServiceTestBase
{
    [Fact]
    public async Task StartAsync_NewUpload_RecordsSessionForRepository()
    {
        var upload = await Service.StartAsync(Repository, Ct);

        var session = await Metadata.GetUploadAsync(upload.Id, Ct);
        Assert.NotNull(session);
        Assert.Equal(Repository, session.Repository);
    }

    [Fact]
    public async Task StartAsync_TwoUploads_HaveDistinctIds()
    {
        var first = await Service.StartAsync(Repository, Ct);
        var second = await Service.StartAsync(Repository, Ct);

        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public async Task GetStatusAsync_UnknownId_ThrowsBlobUploadUnknown()
    {
        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown, () => Service.GetStatusAsync(Repository, UploadId.New().Value, Ct));
    }

    [Fact]
    public async Task AppendAsync_UnknownId_ThrowsBlobUploadUnknown()
    {
        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown,
            () => Service.AppendAsync(Repository, UploadId.New().Value, Body("x"), null, null, Ct));
    }

    [Fact]
    public async Task AppendAsync_UnknownId_WritesNothing()
    {
        var id = UploadId.New();

        await Assert.ThrowsAsync<RegistryException>(() => Service.AppendAsync(Repository, id.Value, Body("x"), null, null, Ct));

        Assert.False(Directory.Exists(UploadDirectory(Repository, id)));
    }

    [Fact]
    public async Task CompleteAsync_UnknownId_ThrowsBlobUploadUnknown()
    {
        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown,
            () => Service.CompleteAsync(Repository, UploadId.New().Value, TestDigests.Sha256Of("x"), Body("x"), null, null, Ct));
    }

    [Fact]
    public async Task CancelAsync_UnknownId_ThrowsBlobUploadUnknown()
    {
        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown, () => Service.CancelAsync(Repository, UploadId.New().Value, Ct));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../x")]
    [InlineData("../../../../etc")]
    [InlineData("not-an-id")]
    [InlineData("0F8FAD5B-D9CB-469F-A165-70867728950E")]
    [InlineData("0f8fad5bd9cb469fa16570867728950e")]
    public async Task AppendAsync_MalformedId_ThrowsBlobUploadUnknown(string id)
    {
        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown, () => Service.AppendAsync(Repository, id, Body("x"), null, null, Ct));
    }

    [Fact]
    public async Task GetStatusAsync_UppercaseFormOfRealId_ThrowsBlobUploadUnknown()
    {
        var upload = await Service.StartAsync(Repository, Ct);

        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown,
            () => Service.GetStatusAsync(Repository, upload.Id.Value.ToUpperInvariant(), Ct));
    }

    [Fact]
    public async Task GetStatusAsync_IdOfOtherRepository_ThrowsBlobUploadUnknown()
    {
        var upload = await Service.StartAsync(Repository, Ct);

        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown, () => Service.GetStatusAsync(OtherRepository, upload.Id.Value, Ct));
    }

    [Fact]
    public async Task AppendAsync_IdOfOtherRepository_ThrowsAndWritesNothing()
    {
        var upload = await Service.StartAsync(Repository, Ct);

        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown,
            () => Service.AppendAsync(OtherRepository, upload.Id.Value, Body("x"), null, null, Ct));

        Assert.False(Directory.Exists(UploadDirectory(OtherRepository, upload.Id)));
        Assert.Null(StoredUploadSize(upload));
    }

    [Fact]
    public async Task CompleteAsync_IdOfOtherRepository_ThrowsAndLinksNothing()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello");
        var digest = TestDigests.Sha256Of("hello");

        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown,
            () => Service.CompleteAsync(OtherRepository, upload.Id.Value, digest, EmptyBody(), null, null, Ct));

        Assert.Null(await Metadata.GetLinkedBlobSizeAsync(OtherRepository, digest, Ct));
        Assert.Null(await Metadata.GetLinkedBlobSizeAsync(Repository, digest, Ct));
    }

    [Fact]
    public async Task CancelAsync_IdOfOtherRepository_ThrowsAndKeepsUpload()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello");

        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown, () => Service.CancelAsync(OtherRepository, upload.Id.Value, Ct));

        Assert.Equal(5, (await Service.GetStatusAsync(Repository, upload.Id.Value, Ct)).Size);
    }

    [Fact]
    public async Task CancelAsync_UploadWithData_RemovesStagingDirectory()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello");
        Assert.True(Directory.Exists(UploadDirectory(Repository, upload.Id)));

        await Service.CancelAsync(Repository, upload.Id.Value, Ct);

        Assert.False(Directory.Exists(UploadDirectory(Repository, upload.Id)));
    }

    [Fact]
    public async Task CancelAsync_Upload_EndsSession()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello");

        await Service.CancelAsync(Repository, upload.Id.Value, Ct);

        Assert.Null(await Metadata.GetUploadAsync(upload.Id, Ct));
        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown, () => Service.GetStatusAsync(Repository, upload.Id.Value, Ct));
    }

    [Fact]
    public async Task CancelAsync_UploadWithoutData_EndsSession()
    {
        var upload = await Service.StartAsync(Repository, Ct);

        await Service.CancelAsync(Repository, upload.Id.Value, Ct);

        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown, () => Service.GetStatusAsync(Repository, upload.Id.Value, Ct));
    }

    [Fact]
    public async Task CancelAsync_OneOfTwoUploads_LeavesOther()
    {
        var doomed = await Service.StartAsync(Repository, Ct);
        var kept = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(doomed, 0, "doomed");
        await AppendChunkAsync(kept, 0, "kept");

        await Service.CancelAsync(Repository, doomed.Id.Value, Ct);

        Assert.Equal(4, (await Service.GetStatusAsync(Repository, kept.Id.Value, Ct)).Size);
    }

    [Fact]
    public async Task CancelAsync_AfterCancel_AppendThrowsBlobUploadUnknown()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await Service.CancelAsync(Repository, upload.Id.Value, Ct);

        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown, () => AppendChunkAsync(upload, 0, "late"));
    }
}
