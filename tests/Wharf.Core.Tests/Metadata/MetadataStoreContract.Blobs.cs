namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    [Fact]
    public async Task GetLinkedBlobSizeAsync_LinkedBlob_ReturnsSize()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 1234, Ct);

        Assert.Equal(1234, await Store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task GetLinkedBlobSizeAsync_UnknownBlob_ReturnsNull()
    {
        Assert.Null(await Store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("never"), Ct));
    }

    [Fact]
    public async Task GetLinkedBlobSizeAsync_BlobLinkedInOtherRepository_ReturnsNull()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);

        Assert.Null(await Store.GetLinkedBlobSizeAsync(Repo("b"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task GetLinkedBlobSizeAsync_BlobLinkedInOtherExistingRepository_ReturnsNull()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await Store.LinkBlobAsync(Repo("b"), BlobDigest("2"), 20, Ct);

        Assert.Null(await Store.GetLinkedBlobSizeAsync(Repo("b"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task GetLinkedBlobSizeAsync_ZeroSizeBlob_ReturnsZero()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("empty"), 0, Ct);

        Assert.Equal(0, await Store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("empty"), Ct));
    }

    [Fact]
    public async Task LinkBlobAsync_SameBlobTwice_IsIdempotent()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);

        Assert.Equal(10, await Store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task LinkBlobAsync_SameBlobInTwoRepositories_LinksBoth()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await Store.LinkBlobAsync(Repo("b"), BlobDigest("1"), 10, Ct);

        Assert.Equal(10, await Store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
        Assert.Equal(10, await Store.GetLinkedBlobSizeAsync(Repo("b"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task LinkBlobAsync_NewRepository_CreatesRepository()
    {
        await Store.LinkBlobAsync(Repo("new/repo"), BlobDigest("1"), 10, Ct);

        var page = await Store.ListRepositoriesAsync(null, null, Ct);
        Assert.Equal(["new/repo"], page.Items);
    }

    [Fact]
    public async Task UnlinkBlobAsync_LinkedBlob_ReturnsTrueAndUnlinks()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);

        Assert.True(await Store.UnlinkBlobAsync(Repo("a"), BlobDigest("1"), Ct));
        Assert.Null(await Store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task UnlinkBlobAsync_BlobNotLinked_ReturnsFalse()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);

        Assert.False(await Store.UnlinkBlobAsync(Repo("a"), BlobDigest("2"), Ct));
    }

    [Fact]
    public async Task UnlinkBlobAsync_UnknownRepository_ReturnsFalse()
    {
        Assert.False(await Store.UnlinkBlobAsync(Repo("nowhere"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task UnlinkBlobAsync_Twice_SecondReturnsFalse()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await Store.UnlinkBlobAsync(Repo("a"), BlobDigest("1"), Ct);

        Assert.False(await Store.UnlinkBlobAsync(Repo("a"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task UnlinkBlobAsync_BlobInTwoRepositories_LeavesOtherLink()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await Store.LinkBlobAsync(Repo("b"), BlobDigest("1"), 10, Ct);

        await Store.UnlinkBlobAsync(Repo("a"), BlobDigest("1"), Ct);

        Assert.Equal(10, await Store.GetLinkedBlobSizeAsync(Repo("b"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task LinkBlobAsync_AfterUnlink_RelinksBlob()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await Store.UnlinkBlobAsync(Repo("a"), BlobDigest("1"), Ct);

        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);

        Assert.Equal(10, await Store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task FindUnlinkedBlobsAsync_SomeLinked_ReturnsOnlyUnlinked()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("3"), 30, Ct);

        var missing = await Store.FindUnlinkedBlobsAsync(Repo("a"), [BlobDigest("1"), BlobDigest("2"), BlobDigest("3"), BlobDigest("4")], Ct);

        Assert.Equal([BlobDigest("2"), BlobDigest("4")], missing);
    }

    [Fact]
    public async Task FindUnlinkedBlobsAsync_AllLinked_ReturnsEmpty()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);

        Assert.Empty(await Store.FindUnlinkedBlobsAsync(Repo("a"), [BlobDigest("1")], Ct));
    }

    [Fact]
    public async Task FindUnlinkedBlobsAsync_EmptyQuery_ReturnsEmpty()
    {
        Assert.Empty(await Store.FindUnlinkedBlobsAsync(Repo("a"), [], Ct));
    }

    [Fact]
    public async Task FindUnlinkedBlobsAsync_BlobLinkedOnlyInOtherRepository_ReportsIt()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);

        Assert.Equal([BlobDigest("1")], await Store.FindUnlinkedBlobsAsync(Repo("b"), [BlobDigest("1")], Ct));
    }

    [Fact]
    public async Task FindUnlinkedBlobsAsync_DuplicateDigests_ReportsEachOnce()
    {
        var missing = await Store.FindUnlinkedBlobsAsync(Repo("a"), [BlobDigest("1"), BlobDigest("1")], Ct);

        Assert.Equal([BlobDigest("1")], missing);
    }

    [Fact]
    public async Task FindUnlinkedBlobsAsync_UnlinkedBlob_ReportsIt()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await Store.UnlinkBlobAsync(Repo("a"), BlobDigest("1"), Ct);

        Assert.Equal([BlobDigest("1")], await Store.FindUnlinkedBlobsAsync(Repo("a"), [BlobDigest("1")], Ct));
    }
}
