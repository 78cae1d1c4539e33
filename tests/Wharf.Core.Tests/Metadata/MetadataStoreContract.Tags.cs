namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    [Fact]
    public async Task PutManifestAsync_SeveralTags_PointsEveryOneAtTheManifest()
    {
        await PutAsync("a", Manifest("old"), "b");

        await Store.PutManifestAsync(Repo("a"), Manifest("1"), NoReferences, ["a", "b", "c"], Ct);

        foreach (var tag in new[] { "a", "b", "c" })
        {
            Assert.Equal(Manifest("1"), await GetByTagAsync("a", tag));
        }
        Assert.Equal(["a", "b", "c"], (await Store.ListTagsAsync(Repo("a"), null, null, Ct))!.Items);
    }

    [Fact]
    public async Task PutManifestAsync_NoTags_StoresTheManifestUntagged()
    {
        await Store.PutManifestAsync(Repo("a"), Manifest("1"), NoReferences, [], Ct);

        Assert.Equal(Manifest("1"), await GetByDigestAsync("a", Manifest("1").Digest));
        Assert.Empty((await Store.ListTagsAsync(Repo("a"), null, null, Ct))!.Items);
    }

    [Fact]
    public async Task ListTagsAsync_UnknownRepository_ReturnsNull()
    {
        await PutAsync("a", Manifest("1"), "latest");

        Assert.Null(await Store.ListTagsAsync(Repo("nowhere"), null, null, Ct));
    }

    [Fact]
    public async Task ListTagsAsync_RepositoryWithoutTags_ReturnsEmptyPage()
    {
        await PutAsync("a", Manifest("1"));

        var page = await Store.ListTagsAsync(Repo("a"), null, null, Ct);

        Assert.NotNull(page);
        Assert.Empty(page.Items);
        Assert.False(page.HasMore);
    }

    [Fact]
    public async Task ListTagsAsync_RepositoryWithOnlyBlobs_ReturnsEmptyPage()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);

        var page = await Store.ListTagsAsync(Repo("a"), null, null, Ct);

        Assert.NotNull(page);
        Assert.Empty(page.Items);
    }

    [Fact]
    public async Task ListTagsAsync_NoLimit_ReturnsAllTagsSortedOrdinally()
    {
        foreach (var tag in new[] { "v2", "latest", "v10", "alpha", "Zeta", "1.0", "_x" })
        {
            await PutAsync("a", Manifest(tag), tag);
        }

        var page = await Store.ListTagsAsync(Repo("a"), null, null, Ct);

        Assert.NotNull(page);
        Assert.Equal(["1.0", "Zeta", "_x", "alpha", "latest", "v10", "v2"], page.Items);
        Assert.False(page.HasMore);
    }

    [Fact]
    public async Task ListTagsAsync_LastAmongMixedCaseAndPunctuation_ComparesOrdinally()
    {
        foreach (var tag in new[] { "v2", "latest", "alpha", "Zeta", "1.0", "_x" })
        {
            await PutAsync("a", Manifest(tag), tag);
        }

        var page = await Store.ListTagsAsync(Repo("a"), null, "Zeta", Ct);

        Assert.NotNull(page);
        Assert.Equal(["_x", "alpha", "latest", "v2"], page.Items);
    }

    [Fact]
    public async Task ListTagsAsync_OtherRepositoriesTags_AreNotListed()
    {
        await PutAsync("a", Manifest("1"), "in-a");
        await PutAsync("b", Manifest("2"), "in-b");

        var page = await Store.ListTagsAsync(Repo("a"), null, null, Ct);

        Assert.NotNull(page);
        Assert.Equal(["in-a"], page.Items);
    }

    [Fact]
    public async Task ListTagsAsync_LimitBelowCount_ReturnsFirstPageWithMore()
    {
        await PutTagsAsync("a", "c", "e", "b", "d");

        var page = await Store.ListTagsAsync(Repo("repo"), 2, null, Ct);

        Assert.NotNull(page);
        Assert.Equal(["a", "b"], page.Items);
        Assert.True(page.HasMore);
    }

    [Fact]
    public async Task ListTagsAsync_Last_ReturnsTagsAfterIt()
    {
        await PutTagsAsync("a", "c", "e", "b", "d");

        var page = await Store.ListTagsAsync(Repo("repo"), 2, "b", Ct);

        Assert.NotNull(page);
        Assert.Equal(["c", "d"], page.Items);
        Assert.True(page.HasMore);
    }

    [Fact]
    public async Task ListTagsAsync_LastPage_HasNoMore()
    {
        await PutTagsAsync("a", "c", "e", "b", "d");

        var page = await Store.ListTagsAsync(Repo("repo"), 2, "d", Ct);

        Assert.NotNull(page);
        Assert.Equal(["e"], page.Items);
        Assert.False(page.HasMore);
    }

    [Fact]
    public async Task ListTagsAsync_LimitEqualToRemaining_HasNoMore()
    {
        await PutTagsAsync("a", "b", "c");

        var page = await Store.ListTagsAsync(Repo("repo"), 3, null, Ct);

        Assert.NotNull(page);
        Assert.Equal(["a", "b", "c"], page.Items);
        Assert.False(page.HasMore);
    }

    [Fact]
    public async Task ListTagsAsync_LastNotATag_ReturnsTagsSortingAfterIt()
    {
        await PutTagsAsync("a", "c", "e");

        var page = await Store.ListTagsAsync(Repo("repo"), null, "b", Ct);

        Assert.NotNull(page);
        Assert.Equal(["c", "e"], page.Items);
    }

    [Fact]
    public async Task ListTagsAsync_LastAfterAllTags_ReturnsEmptyPage()
    {
        await PutTagsAsync("a", "b");

        var page = await Store.ListTagsAsync(Repo("repo"), 10, "z", Ct);

        Assert.NotNull(page);
        Assert.Empty(page.Items);
        Assert.False(page.HasMore);
    }

    [Fact]
    public async Task ListTagsAsync_PagingThroughAll_VisitsEveryTagOnce()
    {
        var tags = Enumerable.Range(0, 23).Select(i => $"t{i:D2}").ToArray();
        await PutTagsAsync(tags);

        var seen = new List<string>();
        string? last = null;
        while (true)
        {
            var page = await Store.ListTagsAsync(Repo("repo"), 5, last, Ct);
            Assert.NotNull(page);
            seen.AddRange(page.Items);
            if (!page.HasMore)
            {
                break;
            }
            last = page.Items[^1];
        }

        Assert.Equal(tags, seen);
    }

    [Fact]
    public async Task ListTagsAsync_DeletedTag_IsNotListed()
    {
        await PutTagsAsync("a", "b", "c");

        await Store.DeleteTagAsync(Repo("repo"), "b", Ct);

        var page = await Store.ListTagsAsync(Repo("repo"), null, null, Ct);
        Assert.NotNull(page);
        Assert.Equal(["a", "c"], page.Items);
    }

    private async Task PutTagsAsync(params string[] tags)
    {
        foreach (var tag in tags)
        {
            await PutAsync("repo", Manifest(tag), tag);
        }
    }
}
