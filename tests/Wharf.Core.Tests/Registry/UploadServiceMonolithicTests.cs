using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;

namespace Wharf.Core.Tests.Registry;

public sealed class UploadServiceMonolithicTests : UploadServiceTestBase
{
    [Fact]
    public async Task UploadMonolithicAsync_CorrectDigest_ReturnsCommittedBlob()
    {
        var digest = TestDigests.Sha256Of("monolithic");

        var blob = await Service.UploadMonolithicAsync(Repository, digest, Body("monolithic"), Ct);

        Assert.Equal(digest, blob.Digest);
        Assert.Equal(10, blob.Size);
    }

    [Fact]
    public async Task UploadMonolithicAsync_CorrectDigest_LinksAndStoresBlob()
    {
        var digest = TestDigests.Sha256Of("monolithic");

        await Service.UploadMonolithicAsync(Repository, digest, Body("monolithic"), Ct);

        Assert.Equal(10, await Metadata.GetLinkedBlobSizeAsync(Repository, digest, Ct));
        Assert.Equal("monolithic", await File.ReadAllTextAsync(BlobFile(digest), Ct));
    }

    [Fact]
    public async Task UploadMonolithicAsync_CorrectDigest_LeavesNoStagingFiles()
    {
        await Service.UploadMonolithicAsync(Repository, TestDigests.Sha256Of("monolithic"), Body("monolithic"), Ct);

        Assert.Empty(Directory.Exists(UploadsDirectory(Repository)) ? Directory.EnumerateFileSystemEntries(UploadsDirectory(Repository)) : []);
    }

    [Fact]
    public async Task UploadMonolithicAsync_Sha512Digest_CommitsBlob()
    {
        var digest = TestDigests.Sha512Of("monolithic");

        var blob = await Service.UploadMonolithicAsync(Repository, digest, Body("monolithic"), Ct);

        Assert.Equal(digest, blob.Digest);
        Assert.Equal("monolithic", await File.ReadAllTextAsync(BlobFile(digest), Ct));
    }

    [Fact]
    public async Task UploadMonolithicAsync_EmptyBody_CommitsEmptyBlob()
    {
        var digest = TestDigests.Sha256Of([]);

        var blob = await Service.UploadMonolithicAsync(Repository, digest, EmptyBody(), Ct);

        Assert.Equal(0, blob.Size);
        Assert.Equal(0, await Metadata.GetLinkedBlobSizeAsync(Repository, digest, Ct));
    }

    [Fact]
    public async Task UploadMonolithicAsync_LargeBody_StoresEveryByte()
    {
        var content = new byte[(2 * 1024 * 1024) + 5];
        new Random(3).NextBytes(content);
        var digest = TestDigests.Sha256Of(content);

        await Service.UploadMonolithicAsync(Repository, digest, new MemoryStream(content), Ct);

        Assert.Equal(content, await File.ReadAllBytesAsync(BlobFile(digest), Ct));
    }

    [Fact]
    public async Task UploadMonolithicAsync_WrongDigest_ThrowsDigestInvalid()
    {
        await AssertRegistryErrorAsync(ErrorCode.DigestInvalid,
            () => Service.UploadMonolithicAsync(Repository, TestDigests.Sha256Of("claimed"), Body("actual"), Ct));
    }

    [Fact]
    public async Task UploadMonolithicAsync_WrongDigest_CommitsNothingAndLeavesNoStagingFiles()
    {
        var claimed = TestDigests.Sha256Of("claimed");

        await Assert.ThrowsAsync<RegistryException>(() => Service.UploadMonolithicAsync(Repository, claimed, Body("actual"), Ct));

        Assert.Null(await Metadata.GetLinkedBlobSizeAsync(Repository, claimed, Ct));
        Assert.False(File.Exists(BlobFile(claimed)));
        Assert.False(File.Exists(BlobFile(TestDigests.Sha256Of("actual"))));
        Assert.Empty(Directory.Exists(UploadsDirectory(Repository)) ? Directory.EnumerateFileSystemEntries(UploadsDirectory(Repository)) : []);
    }

    [Fact]
    public async Task UploadMonolithicAsync_SameBlobTwice_Deduplicates()
    {
        var digest = TestDigests.Sha256Of("duplicate");
        await Service.UploadMonolithicAsync(Repository, digest, Body("duplicate"), Ct);

        var blob = await Service.UploadMonolithicAsync(Repository, digest, Body("duplicate"), Ct);

        Assert.Equal(digest, blob.Digest);
        Assert.Equal(9, await Metadata.GetLinkedBlobSizeAsync(Repository, digest, Ct));
        Assert.Equal("duplicate", await File.ReadAllTextAsync(BlobFile(digest), Ct));
        Assert.Single(Directory.EnumerateFiles(Path.GetDirectoryName(BlobFile(digest))!));
    }

    [Fact]
    public async Task UploadMonolithicAsync_SameBlobInTwoRepositories_LinksBothWithOneCopy()
    {
        var digest = TestDigests.Sha256Of("shared");
        await Service.UploadMonolithicAsync(Repository, digest, Body("shared"), Ct);

        await Service.UploadMonolithicAsync(OtherRepository, digest, Body("shared"), Ct);

        Assert.Equal(6, await Metadata.GetLinkedBlobSizeAsync(Repository, digest, Ct));
        Assert.Equal(6, await Metadata.GetLinkedBlobSizeAsync(OtherRepository, digest, Ct));
        Assert.Equal("shared", await File.ReadAllTextAsync(BlobFile(digest), Ct));
        Assert.Empty(Directory.Exists(UploadsDirectory(OtherRepository)) ? Directory.EnumerateFileSystemEntries(UploadsDirectory(OtherRepository)) : []);
    }

    [Fact]
    public async Task CompleteAsync_BlobAlreadyStored_DeduplicatesAndCleansUp()
    {
        var digest = TestDigests.Sha256Of("duplicate");
        await Service.UploadMonolithicAsync(OtherRepository, digest, Body("duplicate"), Ct);
        var upload = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(upload, 0, "duplicate");

        var blob = await CompleteAsync(upload, digest);

        Assert.Equal(digest, blob.Digest);
        Assert.Equal(9, await Metadata.GetLinkedBlobSizeAsync(Repository, digest, Ct));
        Assert.Equal("duplicate", await File.ReadAllTextAsync(BlobFile(digest), Ct));
        Assert.False(Directory.Exists(UploadDirectory(Repository, upload.Id)));
    }

    [Fact]
    public async Task CompleteAsync_TwoChunkedUploadsOfSameBlob_BothSucceed()
    {
        var digest = TestDigests.Sha256Of("twice");
        var first = await Service.StartAsync(Repository, Ct);
        var second = await Service.StartAsync(Repository, Ct);
        await AppendChunkAsync(first, 0, "twice");
        await AppendChunkAsync(second, 0, "twice");

        await CompleteAsync(first, digest);
        var blob = await CompleteAsync(second, digest);

        Assert.Equal(digest, blob.Digest);
        Assert.Equal(5, await Metadata.GetLinkedBlobSizeAsync(Repository, digest, Ct));
        Assert.Equal("twice", await File.ReadAllTextAsync(BlobFile(digest), Ct));
    }
}
