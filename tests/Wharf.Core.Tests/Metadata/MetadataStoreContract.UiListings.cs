using Wharf.Distribution;
using Wharf.Manifests;
using Wharf.Metadata;

namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    private async Task<List<string>> ContainingAsync(string contains, int limit, string? last = null)
    {
        var page = await Store.ListRepositoriesContainingAsync(contains, limit, last, Ct);
        return [.. page.Items, .. page.HasMore ? new[] { "+" } : []];
    }

    private async Task<List<string>> TagNamesAsync(string repository, string contains, TagOrder order, int limit, string? last = null)
    {
        var page = await Store.ListTagSummariesAsync(Repo(repository), contains, order, limit, last, Ct);
        Assert.NotNull(page);
        return [.. page.Items.Select(t => t.Name), .. page.HasMore ? new[] { "+" } : []];
    }

    // The stores stamp tags with their clock; a short pause keeps the push times apart.
    private async Task PutLaterAsync(string repository, ManifestRecord manifest, string tag)
    {
        await Task.Delay(20);
        await PutAsync(repository, manifest, tag);
    }

    [Fact]
    public async Task ListRepositoriesContainingAsync_ASubstring_ListsMatchingNamesInOrderByPage()
    {
        foreach (var name in new[] { "team/web", "team/api", "other/web-cache", "web", "tools" })
        {
            await Store.LinkBlobAsync(Repo(name), BlobDigest("1"), 1, Ct);
        }

        Assert.Equal(["other/web-cache", "team/web", "web"], await ContainingAsync("web", 10));
        Assert.Equal(["other/web-cache", "team/web", "+"], await ContainingAsync("web", 2));
        Assert.Equal(["web"], await ContainingAsync("web", 2, "team/web"));
        Assert.Equal(["other/web-cache", "team/api", "team/web", "tools", "web"], await ContainingAsync("", 10));
        Assert.Empty(await ContainingAsync("nothing", 10));
    }

    [Fact]
    public async Task GetRepositorySummariesAsync_Repositories_CountTagsSizeAndLastPush()
    {
        var (config, layer, shared) = (BlobDigest("config"), BlobDigest("layer"), BlobDigest("shared"));
        await Store.LinkBlobAsync(Repo("ui/a"), config, 10, Ct);
        await Store.LinkBlobAsync(Repo("ui/a"), layer, 100, Ct);
        await Store.LinkBlobAsync(Repo("ui/a"), shared, 1000, Ct);
        await Store.LinkBlobAsync(Repo("ui/b"), shared, 1000, Ct);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await Store.PutManifestAsync(Repo("ui/a"), Manifest("1", size: 200), [(config, ReferenceKind.Config), (layer, ReferenceKind.Layer)], ["v1", "latest"], Ct);
        await PutAsync("ui/a", Manifest("2", size: 300), "v2");

        var summaries = await Store.GetRepositorySummariesAsync(["ui/b", "ui/a", "ui/unknown"], Ct);

        Assert.Equal(["ui/a", "ui/b"], summaries.Select(s => s.Name));
        var a = summaries[0];
        Assert.Equal(3, a.TagCount);
        // Each linked blob once (the shared one too), plus the manifests.
        Assert.Equal(10 + 100 + 1000 + 200 + 300, a.Size);
        Assert.NotNull(a.LastPush);
        Assert.InRange(a.LastPush.Value, before, DateTimeOffset.UtcNow.AddSeconds(1));
        var b = summaries[1];
        Assert.Equal(new RepositorySummary("ui/b", 0, 1000, null), b);
        Assert.Empty(await Store.GetRepositorySummariesAsync([], Ct));
    }

    [Fact]
    public async Task GetRepositorySummariesAsync_ATagMovedLater_IsTheLastPush()
    {
        await PutAsync("ui/a", Manifest("1"), "v1");
        var first = (await Store.GetRepositorySummariesAsync(["ui/a"], Ct))[0].LastPush;

        await PutLaterAsync("ui/a", Manifest("2"), "v1");

        Assert.True((await Store.GetRepositorySummariesAsync(["ui/a"], Ct))[0].LastPush > first);
    }

    [Fact]
    public async Task ListTagSummariesAsync_UnknownRepository_IsNull()
    {
        Assert.Null(await Store.ListTagSummariesAsync(Repo("ui/none"), "", TagOrder.Name, 10, null, Ct));
    }

    [Fact]
    public async Task ListTagSummariesAsync_ATag_HasItsManifestAndTheSizeOfItsConfigAndLayers()
    {
        var (config, layer) = (BlobDigest("config"), BlobDigest("layer"));
        await Store.LinkBlobAsync(Repo("ui/a"), config, 10, Ct);
        await Store.LinkBlobAsync(Repo("ui/a"), layer, 100, Ct);
        await Store.LinkBlobAsync(Repo("ui/a"), BlobDigest("other"), 5000, Ct);
        var image = Manifest("1", size: 200) with { ArtifactType = "application/vnd.oci.image.config.v1+json" };
        // A layer listed twice is downloaded once; a subject is not content of the manifest.
        await Store.PutManifestAsync(Repo("ui/a"), image,
            [(config, ReferenceKind.Config), (layer, ReferenceKind.Layer), (BlobDigest("other"), ReferenceKind.Subject)], ["v1"], Ct);

        var page = await Store.ListTagSummariesAsync(Repo("ui/a"), "", TagOrder.Name, 10, null, Ct);

        var tag = Assert.Single(page!.Items);
        Assert.Equal(("v1", image.Digest, MediaTypes.OciManifest, image.ArtifactType, 200L, 110L),
            (tag.Name, tag.Digest, tag.MediaType, tag.ArtifactType, tag.ManifestSize, tag.ReferencedSize));
        Assert.InRange(tag.UpdatedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task ListTagSummariesAsync_ByName_FiltersIgnoringCaseAndPages()
    {
        foreach (var tag in new[] { "v1", "v2", "Latest", "latest-dev", "stable" })
        {
            await PutAsync("ui/a", Manifest(tag), tag);
        }

        Assert.Equal(["Latest", "latest-dev", "stable", "v1", "v2"], await TagNamesAsync("ui/a", "", TagOrder.Name, 10));
        Assert.Equal(["Latest", "latest-dev"], await TagNamesAsync("ui/a", "lat", TagOrder.Name, 10));
        Assert.Equal(["Latest", "+"], await TagNamesAsync("ui/a", "lat", TagOrder.Name, 1));
        Assert.Equal(["latest-dev"], await TagNamesAsync("ui/a", "lat", TagOrder.Name, 1, "Latest"));
        Assert.Empty(await TagNamesAsync("ui/a", "nothing", TagOrder.Name, 10));
    }

    [Fact]
    public async Task ListTagSummariesAsync_ByDate_ListsNewestFirstAndPages()
    {
        await PutAsync("ui/a", Manifest("b"), "b");
        await PutLaterAsync("ui/a", Manifest("c"), "c");
        await PutLaterAsync("ui/a", Manifest("a"), "a");
        await PutLaterAsync("ui/a", Manifest("d"), "d-dev");

        Assert.Equal(["d-dev", "a", "c", "b"], await TagNamesAsync("ui/a", "", TagOrder.Date, 10));
        Assert.Equal(["d-dev", "a", "+"], await TagNamesAsync("ui/a", "", TagOrder.Date, 2));
        Assert.Equal(["c", "b"], await TagNamesAsync("ui/a", "", TagOrder.Date, 2, "a"));
        Assert.Equal(["a", "c", "b"], await TagNamesAsync("ui/a", "", TagOrder.Date, 10, "d-dev"));
        Assert.Equal(["d-dev"], await TagNamesAsync("ui/a", "DEV", TagOrder.Date, 10));
    }

    [Fact]
    public async Task ListTagSummariesAsync_ByDate_TagsPushedAtOnce_AreOrderedByName()
    {
        await Store.PutManifestAsync(Repo("ui/a"), Manifest("1"), NoReferences, ["z", "m", "a"], Ct);

        Assert.Equal(["a", "m", "z"], await TagNamesAsync("ui/a", "", TagOrder.Date, 10));
        Assert.Equal(["m", "z"], await TagNamesAsync("ui/a", "", TagOrder.Date, 10, "a"));
    }

    [Fact]
    public async Task ListTagsOfManifestAsync_TaggedManifest_ListsItsTagsInOrderUpToTheLimit()
    {
        var one = Manifest("1");
        await Store.PutManifestAsync(Repo("ui/t"), one, [], ["v1", "latest", "b"], Ct);
        await PutAsync("ui/t", Manifest("2"), "v2");
        await PutAsync("ui/other", one, "elsewhere");

        Assert.Equal(["b", "latest", "v1"], await Store.ListTagsOfManifestAsync(Repo("ui/t"), one.Digest, 10, Ct));
        Assert.Equal(["b", "latest"], await Store.ListTagsOfManifestAsync(Repo("ui/t"), one.Digest, 2, Ct));
        Assert.Empty(await Store.ListTagsOfManifestAsync(Repo("ui/t"), Manifest("missing").Digest, 10, Ct));
        Assert.Empty(await Store.ListTagsOfManifestAsync(Repo("ui/unknown"), one.Digest, 10, Ct));
    }
}
