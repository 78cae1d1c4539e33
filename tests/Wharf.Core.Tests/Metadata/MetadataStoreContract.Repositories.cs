namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    [Fact]
    public async Task ListRepositoriesAsync_EmptyStore_ReturnsEmptyPage()
    {
        var page = await Store.ListRepositoriesAsync(null, null, Ct);

        Assert.Empty(page.Items);
        Assert.False(page.HasMore);
    }

    [Fact]
    public async Task ListRepositoriesAsync_NoLimit_ReturnsAllSortedOrdinally()
    {
        await CreateRepositoriesAsync("b", "a/c", "a", "a-b", "a.b", "0", "library/ubuntu");

        var page = await Store.ListRepositoriesAsync(null, null, Ct);

        Assert.Equal(["0", "a", "a-b", "a.b", "a/c", "b", "library/ubuntu"], page.Items);
        Assert.False(page.HasMore);
    }

    [Fact]
    public async Task ListRepositoriesAsync_LastAmongPunctuation_ComparesOrdinally()
    {
        await CreateRepositoriesAsync("b", "a/c", "a", "a-b", "a.b", "a_b", "0");

        var page = await Store.ListRepositoriesAsync(2, "a-b", Ct);

        Assert.Equal(["a.b", "a/c"], page.Items);
        Assert.True(page.HasMore);
    }

    [Fact]
    public async Task ListRepositoriesAsync_RepositoryCreatedByManifestPush_IsListed()
    {
        await PutAsync("pushed", Manifest("1"), "latest");

        var page = await Store.ListRepositoriesAsync(null, null, Ct);

        Assert.Equal(["pushed"], page.Items);
    }

    [Fact]
    public async Task ListRepositoriesAsync_RepositoryUsedTwice_IsListedOnce()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 1, Ct);
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("2"), 2, Ct);
        await PutAsync("a", Manifest("1"), "latest");

        var page = await Store.ListRepositoriesAsync(null, null, Ct);

        Assert.Equal(["a"], page.Items);
    }

    [Fact]
    public async Task ListRepositoriesAsync_LimitBelowCount_ReturnsFirstPageWithMore()
    {
        await CreateRepositoriesAsync("d", "b", "a", "c");

        var page = await Store.ListRepositoriesAsync(2, null, Ct);

        Assert.Equal(["a", "b"], page.Items);
        Assert.True(page.HasMore);
    }

    [Fact]
    public async Task ListRepositoriesAsync_Last_ReturnsRepositoriesAfterIt()
    {
        await CreateRepositoriesAsync("d", "b", "a", "c", "e");

        var page = await Store.ListRepositoriesAsync(2, "b", Ct);

        Assert.Equal(["c", "d"], page.Items);
        Assert.True(page.HasMore);
    }

    [Fact]
    public async Task ListRepositoriesAsync_LastPage_HasNoMore()
    {
        await CreateRepositoriesAsync("d", "b", "a", "c");

        var page = await Store.ListRepositoriesAsync(2, "b", Ct);

        Assert.Equal(["c", "d"], page.Items);
        Assert.False(page.HasMore);
    }

    [Fact]
    public async Task ListRepositoriesAsync_LastAfterAll_ReturnsEmptyPage()
    {
        await CreateRepositoriesAsync("a", "b");

        var page = await Store.ListRepositoriesAsync(5, "z", Ct);

        Assert.Empty(page.Items);
        Assert.False(page.HasMore);
    }

    [Fact]
    public async Task ListRepositoriesAsync_PagingThroughAll_VisitsEveryRepositoryOnce()
    {
        var names = Enumerable.Range(0, 17).Select(i => $"org/repo{i:D2}").ToArray();
        await CreateRepositoriesAsync(names);

        var seen = new List<string>();
        string? last = null;
        while (true)
        {
            var page = await Store.ListRepositoriesAsync(4, last, Ct);
            seen.AddRange(page.Items);
            if (!page.HasMore)
            {
                break;
            }
            last = page.Items[^1];
        }

        Assert.Equal(names, seen);
    }

    [Fact]
    public async Task ListRepositoriesAsync_UploadOnlyRepository_IsNotListed()
    {
        await Store.CreateUploadAsync(new Wharf.Metadata.UploadSession(Wharf.Storage.UploadId.New(), Repo("uploading"), DateTimeOffset.UnixEpoch), Ct);

        var page = await Store.ListRepositoriesAsync(null, null, Ct);

        Assert.Empty(page.Items);
    }

    private async Task CreateRepositoriesAsync(params string[] names)
    {
        foreach (var name in names)
        {
            await Store.LinkBlobAsync(Repo(name), BlobDigest(name), 1, Ct);
        }
    }
}
