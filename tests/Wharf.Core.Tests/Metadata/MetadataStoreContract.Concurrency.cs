using Wharf.Manifests;

namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    private const int Writers = 64;

    [Fact]
    public async Task LinkBlobAsync_ManyConcurrentTasks_AllLinksRecorded()
    {
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(i => Task.Run(() =>
            Store.LinkBlobAsync(Repo($"repo{i % 4}"), BlobDigest($"{i}"), i, Ct))));

        for (var i = 0; i < Writers; i++)
        {
            Assert.Equal(i, await Store.GetLinkedBlobSizeAsync(Repo($"repo{i % 4}"), BlobDigest($"{i}"), Ct));
        }
    }

    [Fact]
    public async Task LinkBlobAsync_SameBlobFromManyTasks_LinksOnce()
    {
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(() =>
            Store.LinkBlobAsync(Repo("shared"), BlobDigest("same"), 42, Ct))));

        Assert.Equal(42, await Store.GetLinkedBlobSizeAsync(Repo("shared"), BlobDigest("same"), Ct));
        Assert.True(await Store.UnlinkBlobAsync(Repo("shared"), BlobDigest("same"), Ct));
        Assert.Null(await Store.GetLinkedBlobSizeAsync(Repo("shared"), BlobDigest("same"), Ct));
    }

    [Fact]
    public async Task PutManifestAsync_ManyConcurrentTasks_AllManifestsAndTagsRecorded()
    {
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(i => Task.Run(async () =>
        {
            var repository = Repo($"repo{i % 4}");
            await Store.LinkBlobAsync(repository, BlobDigest($"layer{i}"), i, Ct);
            await Store.PutManifestAsync(repository, Manifest($"{i}"), [(BlobDigest($"layer{i}"), ReferenceKind.Layer)], [$"t{i:D2}"], Ct);
        })));

        for (var r = 0; r < 4; r++)
        {
            var page = await Store.ListTagsAsync(Repo($"repo{r}"), null, null, Ct);
            Assert.NotNull(page);
            Assert.Equal(
                Enumerable.Range(0, Writers).Where(i => i % 4 == r).Select(i => $"t{i:D2}"),
                page.Items);
        }
        for (var i = 0; i < Writers; i++)
        {
            Assert.Equal(Manifest($"{i}"), await GetByTagAsync($"repo{i % 4}", $"t{i:D2}"));
        }
    }

    [Fact]
    public async Task PutManifestAsync_SameManifestAndTagFromManyTasks_StoresOneTag()
    {
        var manifest = Manifest("same");

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(() => PutAsync("shared", manifest, "latest"))));

        Assert.Equal(manifest, await GetByTagAsync("shared", "latest"));
        var page = await Store.ListTagsAsync(Repo("shared"), null, null, Ct);
        Assert.NotNull(page);
        Assert.Equal(["latest"], page.Items);
    }

    [Fact]
    public async Task PutManifestAsync_ConcurrentWithReads_ReadsNeverFail()
    {
        var writers = Enumerable.Range(0, Writers).Select(i => Task.Run(() => PutAsync("busy", Manifest($"{i}"), "latest")));
        var readers = Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            var found = await GetByTagAsync("busy", "latest");
            if (found is not null)
            {
                Assert.Equal(Wharf.Distribution.MediaTypes.OciManifest, found.MediaType);
            }
            await Store.ListTagsAsync(Repo("busy"), null, null, Ct);
            await Store.ListRepositoriesAsync(null, null, Ct);
        }));

        await Task.WhenAll(writers.Concat(readers));

        Assert.NotNull(await GetByTagAsync("busy", "latest"));
    }
}
