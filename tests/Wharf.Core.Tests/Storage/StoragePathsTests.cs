using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Storage;

namespace Wharf.Core.Tests.Storage;

public sealed class StoragePathsTests
{
    // sha256("hello")
    private const string HelloHex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    [Fact]
    public void Blob_Sha256Digest_UsesDistributionLayout()
    {
        var path = StoragePaths.Blob(Digest.Parse("sha256:" + HelloHex));

        Assert.Equal($"docker/registry/v2/blobs/sha256/2c/{HelloHex}/data", path);
    }

    [Fact]
    public void Blob_Sha512Digest_UsesAlgorithmDirectory()
    {
        var digest = TestDigests.Sha512Of("hello");

        var path = StoragePaths.Blob(digest);

        Assert.Equal($"docker/registry/v2/blobs/sha512/{digest.Hex[..2]}/{digest.Hex}/data", path);
    }

    [Fact]
    public void Blob_AnyDigest_IsUnderRoot()
    {
        Assert.StartsWith(StoragePaths.Root + "/", StoragePaths.Blob(TestDigests.Sha256Of("x")), StringComparison.Ordinal);
    }

    [Fact]
    public void Root_IsDistributionRoot()
    {
        Assert.Equal("docker/registry/v2", StoragePaths.Root);
    }

    [Fact]
    public void UploadDirectory_RepositoryAndId_IsUnderRepositoryUploads()
    {
        Assert.True(UploadId.TryParse("0f8fad5b-d9cb-469f-a165-70867728950e", out var id));

        var path = StoragePaths.UploadDirectory(RepositoryName.Parse("library/ubuntu"), id);

        Assert.Equal("docker/registry/v2/repositories/library/ubuntu/_uploads/0f8fad5b-d9cb-469f-a165-70867728950e", path);
    }

    [Fact]
    public void UploadData_RepositoryAndId_IsDataFileInUploadDirectory()
    {
        var repository = RepositoryName.Parse("library/ubuntu");
        var id = UploadId.New();

        var path = StoragePaths.UploadData(repository, id);

        Assert.Equal(StoragePaths.UploadDirectory(repository, id) + "/data", path);
        Assert.StartsWith($"docker/registry/v2/repositories/library/ubuntu/_uploads/{id}/", path, StringComparison.Ordinal);
    }

    [Fact]
    public void UploadDirectory_DifferentIds_AreDistinct()
    {
        var repository = RepositoryName.Parse("a");

        Assert.NotEqual(StoragePaths.UploadDirectory(repository, UploadId.New()), StoragePaths.UploadDirectory(repository, UploadId.New()));
    }
}
