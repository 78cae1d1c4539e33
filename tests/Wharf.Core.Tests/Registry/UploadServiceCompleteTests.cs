using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Storage;

namespace Wharf.Core.Tests.Registry;

public sealed class UploadServiceCompleteTests : UploadServiceTestBase
{
    [Fact]
    public async Task CompleteAsync_CorrectDigest_ReturnsCommittedBlob()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello ");
        await AppendChunkAsync(upload, 6, "world");
        var digest = TestDigests.Sha256Of("hello world");

        var blob = await CompleteAsync(upload, digest);

        Assert.Equal(digest, blob.Digest);
        Assert.Equal(11, blob.Size);
    }

    [Fact]
    public async Task CompleteAsync_CorrectDigest_LinksBlobInRepository()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello world");
        var digest = TestDigests.Sha256Of("hello world");

        await CompleteAsync(upload, digest);

        Assert.Equal(11, await Metadata.GetLinkedBlobSizeAsync(Repository, digest, Ct));
    }

    [Fact]
    public async Task CompleteAsync_CorrectDigest_DoesNotLinkBlobInOtherRepository()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello world");
        var digest = TestDigests.Sha256Of("hello world");

        await CompleteAsync(upload, digest);

        Assert.Null(await Metadata.GetLinkedBlobSizeAsync(OtherRepository, digest, Ct));
    }

    [Fact]
    public async Task CompleteAsync_CorrectDigest_WritesBlobFileAtDistributionPath()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello world");
        var digest = TestDigests.Sha256Of("hello world");

        await CompleteAsync(upload, digest);

        Assert.True(File.Exists(BlobFile(digest)));
        Assert.Equal("hello world", await File.ReadAllTextAsync(BlobFile(digest), Ct));
    }

    [Fact]
    public async Task CompleteAsync_CorrectDigest_RemovesUploadDirectory()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello world");

        await CompleteAsync(upload, TestDigests.Sha256Of("hello world"));

        Assert.False(Directory.Exists(UploadDirectory(Repository, upload.Id)));
    }

    [Fact]
    public async Task CompleteAsync_CorrectDigest_EndsUploadSession()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello world");

        await CompleteAsync(upload, TestDigests.Sha256Of("hello world"));

        Assert.Null(await Metadata.GetUploadAsync(upload.Id, Ct));
        await AssertRegistryErrorAsync(ErrorCode.BlobUploadUnknown, () => Service.GetStatusAsync(Repository, upload.Id.Value, Ct));
    }

    [Fact]
    public async Task CompleteAsync_WithFinalChunk_IncludesChunkInBlob()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello ");
        var digest = TestDigests.Sha256Of("hello world");

        var blob = await Service.CompleteAsync(Repository, upload.Id.Value, digest, Body("world"), Range(6, 10), 5, Ct);

        Assert.Equal(11, blob.Size);
        Assert.Equal("hello world", await File.ReadAllTextAsync(BlobFile(digest), Ct));
    }

    [Fact]
    public async Task CompleteAsync_WholeBlobInFinalRequest_CommitsBlob()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        var digest = TestDigests.Sha256Of("all at once");

        var blob = await Service.CompleteAsync(Repository, upload.Id.Value, digest, Body("all at once"), null, null, Ct);

        Assert.Equal(digest, blob.Digest);
        Assert.Equal(11, await Metadata.GetLinkedBlobSizeAsync(Repository, digest, Ct));
    }

    [Fact]
    public async Task CompleteAsync_EmptyUpload_CommitsEmptyBlob()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        var digest = TestDigests.Sha256Of([]);

        var blob = await CompleteAsync(upload, digest);

        Assert.Equal(0, blob.Size);
        Assert.Equal(0, await Metadata.GetLinkedBlobSizeAsync(Repository, digest, Ct));
        Assert.True(File.Exists(BlobFile(digest)));
    }

    [Fact]
    public async Task CompleteAsync_WrongDigest_ThrowsDigestInvalid()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello world");

        var error = await AssertRegistryErrorAsync(ErrorCode.DigestInvalid, () => CompleteAsync(upload, TestDigests.Sha256Of("something else")));

        Assert.Equal(400, error.Status);
    }

    [Fact]
    public async Task CompleteAsync_WrongDigest_CommitsNothing()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello world");
        var claimed = TestDigests.Sha256Of("something else");

        await Assert.ThrowsAsync<RegistryException>(() => CompleteAsync(upload, claimed));

        Assert.Null(await Metadata.GetLinkedBlobSizeAsync(Repository, claimed, Ct));
        Assert.Null(await Metadata.GetLinkedBlobSizeAsync(Repository, TestDigests.Sha256Of("hello world"), Ct));
        Assert.False(File.Exists(BlobFile(claimed)));
        Assert.False(File.Exists(BlobFile(TestDigests.Sha256Of("hello world"))));
    }

    [Fact]
    public async Task CompleteAsync_WrongSha512Digest_ThrowsDigestInvalid()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello world");

        await AssertRegistryErrorAsync(ErrorCode.DigestInvalid, () => CompleteAsync(upload, TestDigests.Sha512Of("something else")));
    }

    [Fact]
    public async Task CompleteAsync_Sha512Digest_CommitsBlob()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello ");
        await AppendChunkAsync(upload, 6, "world");
        var digest = TestDigests.Sha512Of("hello world");

        var blob = await CompleteAsync(upload, digest);

        Assert.Equal(digest, blob.Digest);
        Assert.Equal(11, await Metadata.GetLinkedBlobSizeAsync(Repository, digest, Ct));
        Assert.Equal("hello world", await File.ReadAllTextAsync(BlobFile(digest), Ct));
        Assert.Contains("/blobs/sha512/", StoragePaths.Blob(digest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteAsync_Sha512WithFinalChunk_CommitsBlob()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello ");
        var digest = TestDigests.Sha512Of("hello world");

        var blob = await Service.CompleteAsync(Repository, upload.Id.Value, digest, Body("world"), Range(6, 10), 5, Ct);

        Assert.Equal(digest, blob.Digest);
        Assert.Equal(11, blob.Size);
    }

    [Fact]
    public async Task AppendAsync_NewServiceInstance_ContinuesUpload()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello ");
        var restarted = NewService();

        var status = await AppendChunkAsync(upload, 6, "world", restarted);

        Assert.Equal(11, status.Size);
    }

    [Fact]
    public async Task CompleteAsync_NewServiceInstanceAfterChunks_RebuildsHashState()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello ");
        var restarted = NewService();
        await AppendChunkAsync(upload, 6, "world", restarted);
        var digest = TestDigests.Sha256Of("hello world");

        var blob = await CompleteAsync(upload, digest, restarted);

        Assert.Equal(digest, blob.Digest);
        Assert.Equal(11, await Metadata.GetLinkedBlobSizeAsync(Repository, digest, Ct));
    }

    [Fact]
    public async Task CompleteAsync_NewServiceInstanceWithoutFurtherChunks_RebuildsHashState()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello ");
        await AppendChunkAsync(upload, 6, "world");
        var digest = TestDigests.Sha256Of("hello world");

        var blob = await CompleteAsync(upload, digest, NewService());

        Assert.Equal(digest, blob.Digest);
    }

    [Fact]
    public async Task CompleteAsync_NewServiceInstanceWithLargeUpload_RebuildsHashState()
    {
        var content = new byte[(2 * 1024 * 1024) + 999];
        new Random(11).NextBytes(content);
        var upload = await Service.StartAsync(Repository, Ct);
        await Service.AppendAsync(Repository, upload.Id.Value, new MemoryStream(content), Range(0, content.Length - 1), content.Length, Ct);
        var digest = TestDigests.Sha256Of(content);

        var blob = await CompleteAsync(upload, digest, NewService());

        Assert.Equal(digest, blob.Digest);
        Assert.Equal(content.Length, blob.Size);
    }

    [Fact]
    public async Task CompleteAsync_NewServiceInstanceWithWrongDigest_ThrowsDigestInvalid()
    {
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "hello world");

        await AssertRegistryErrorAsync(ErrorCode.DigestInvalid, () => CompleteAsync(upload, TestDigests.Sha256Of("hello"), NewService()));
    }

    [Fact]
    public async Task CompleteAsync_AlternatingServiceInstances_ProducesCorrectDigest()
    {
        var other = NewService();
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "a", Service);
        await AppendChunkAsync(upload, 1, "b", other);
        await AppendChunkAsync(upload, 2, "c", Service);
        await AppendChunkAsync(upload, 3, "d", other);
        var digest = TestDigests.Sha256Of("abcd");

        var blob = await CompleteAsync(upload, digest, Service);

        Assert.Equal(digest, blob.Digest);
    }
}
