using Wharf.Distribution;
using Wharf.Manifests;
using Wharf.Metadata;

namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    // The stores stamp what they store with the clock, so times here are far from now on either side.
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private Task RecordPullAsync(string repository, ManifestRecord manifest, DateTimeOffset at) =>
        Store.RecordManifestPullsAsync([new ManifestPull(Repo(repository), manifest.Digest, at)], Ct);

    private async Task<List<string>> UnusedAsync(string prefix, DateTimeOffset cutoff, int limit = 100) =>
        [.. (await Store.ListManifestsUnusedSinceAsync(prefix, cutoff, null, limit, Ct)).Select(k => $"{k.Repository}@{k.Digest}")];

    private static string Key(string repository, ManifestRecord manifest) => $"{repository}@{manifest.Digest}";

    [Fact]
    public async Task ListManifestsUnusedSinceAsync_NeverPulled_GoesByWhenItWasStored()
    {
        var manifest = Manifest("1");
        await PutAsync("up/a", manifest, "latest");

        Assert.Equal([Key("up/a", manifest)], await UnusedAsync("up", DateTimeOffset.UtcNow + Hour));
        Assert.Empty(await UnusedAsync("up", DateTimeOffset.UtcNow - Hour));
    }

    [Fact]
    public async Task RecordManifestPullsAsync_APull_KeepsTheManifestInUseUntilThen()
    {
        var manifest = Manifest("1");
        await PutAsync("up/a", manifest, "latest");

        await RecordPullAsync("up/a", manifest, DateTimeOffset.UtcNow + 2 * Hour);

        Assert.Empty(await UnusedAsync("up", DateTimeOffset.UtcNow + Hour));
        Assert.Equal([Key("up/a", manifest)], await UnusedAsync("up", DateTimeOffset.UtcNow + 3 * Hour));
    }

    [Fact]
    public async Task RecordManifestPullsAsync_AnEarlierPullAfterALaterOne_KeepsTheLaterTime()
    {
        var manifest = Manifest("1");
        await PutAsync("up/a", manifest);
        await RecordPullAsync("up/a", manifest, DateTimeOffset.UtcNow + 2 * Hour);

        await RecordPullAsync("up/a", manifest, DateTimeOffset.UtcNow + Hour);

        Assert.Empty(await UnusedAsync("up", DateTimeOffset.UtcNow + 1.5 * Hour));
    }

    [Fact]
    public async Task RecordManifestPullsAsync_APullBeforeItWasStored_DoesNotMakeItOlder()
    {
        // A pull recorded late, after the manifest was deleted and fetched again.
        var manifest = Manifest("1");
        await PutAsync("up/a", manifest);

        await RecordPullAsync("up/a", manifest, DateTimeOffset.UtcNow - 2 * Hour);

        Assert.Empty(await UnusedAsync("up", DateTimeOffset.UtcNow - Hour));
    }

    [Fact]
    public async Task RecordManifestPullsAsync_ABatch_RecordsEachAndIgnoresWhatTheStoreDoesNotHave()
    {
        var (one, two, three) = (Manifest("1"), Manifest("2"), Manifest("3"));
        await PutAsync("up/a", one);
        await PutAsync("up/a", two);
        await PutAsync("up/b", one);
        var later = DateTimeOffset.UtcNow + 2 * Hour;

        await Store.RecordManifestPullsAsync(
        [
            new ManifestPull(Repo("up/a"), one.Digest, later),
            new ManifestPull(Repo("up/a"), two.Digest, later),
            new ManifestPull(Repo("up/a"), one.Digest, DateTimeOffset.UtcNow), // the same one twice in a batch
            new ManifestPull(Repo("up/a"), three.Digest, later), // not a manifest of up/a
            new ManifestPull(Repo("up/unknown"), one.Digest, later), // no such repository
        ], Ct);

        // The same digest in another repository is another manifest, pulled or not on its own.
        Assert.Equal([Key("up/b", one)], await UnusedAsync("up", DateTimeOffset.UtcNow + Hour));
        Assert.Null(await GetByDigestAsync("up/a", three.Digest));
        Assert.Null(await GetByDigestAsync("up/unknown", one.Digest));
    }

    [Fact]
    public async Task RecordManifestPullsAsync_AnIndex_CountsForTheChildrenItListsInItsRepository()
    {
        var (listed, unlisted, index) = (Manifest("child-1"), Manifest("child-2"), Manifest("index") with { MediaType = MediaTypes.OciIndex });
        await PutAsync("up/a", listed);
        await PutAsync("up/a", unlisted);
        await PutAsync("up/b", listed);
        await Store.PutManifestAsync(Repo("up/a"), index, [(listed.Digest, ReferenceKind.Manifest)], ["latest"], Ct);

        await RecordPullAsync("up/a", index, DateTimeOffset.UtcNow + 2 * Hour);

        Assert.Equal([Key("up/a", unlisted), Key("up/b", listed)],
            [.. (await UnusedAsync("up", DateTimeOffset.UtcNow + Hour)).Order(StringComparer.Ordinal)]);
    }

    [Fact]
    public async Task RecordManifestPullsAsync_NoPulls_DoesNothing()
    {
        await Store.RecordManifestPullsAsync([], Ct);
    }

    [Fact]
    public async Task ListManifestsUnusedSinceAsync_Prefix_TakesWholeComponentsOnly()
    {
        var manifest = Manifest("1");
        foreach (var repository in new[] { "up/a", "up/b/c", "up", "upx/a", "up_x/a", "up-x/a", "other/up/a" })
        {
            await PutAsync(repository, manifest);
        }
        var cutoff = DateTimeOffset.UtcNow + Hour;

        Assert.Equal([Key("up/a", manifest), Key("up/b/c", manifest)], await UnusedAsync("up", cutoff));
        Assert.Equal([Key("up/b/c", manifest)], await UnusedAsync("up/b", cutoff));
        Assert.Equal(7, (await UnusedAsync("", cutoff)).Count);
    }

    [Fact]
    public async Task ListManifestsUnusedSinceAsync_Pages_InOrderOfRepositoryThenDigest()
    {
        var manifests = new[] { Manifest("1"), Manifest("2"), Manifest("3") }.OrderBy(m => m.Digest.ToString(), StringComparer.Ordinal).ToArray();
        foreach (var repository in new[] { "up/b", "up/a" })
        {
            foreach (var manifest in manifests)
            {
                await PutAsync(repository, manifest);
            }
        }
        var cutoff = DateTimeOffset.UtcNow + Hour;

        var seen = new List<string>();
        ManifestKey? after = null;
        while (true)
        {
            var page = await Store.ListManifestsUnusedSinceAsync("up", cutoff, after, 4, Ct);
            seen.AddRange(page.Select(k => $"{k.Repository}@{k.Digest}"));
            if (page.Count < 4)
            {
                break;
            }
            after = page[^1];
        }

        Assert.Equal([.. new[] { "up/a", "up/b" }.SelectMany(r => manifests.Select(m => Key(r, m)))], seen);
    }

    [Fact]
    public async Task ListManifestsUnusedSinceAsync_DeletedManifest_IsNotListed_AndOneStoredAgainIsNew()
    {
        var manifest = Manifest("1");
        await PutAsync("up/a", manifest, "latest");
        await Store.DeleteManifestAsync(Repo("up/a"), manifest.Digest, Ct);

        Assert.Empty(await UnusedAsync("up", DateTimeOffset.UtcNow + Hour));

        var stored = DateTimeOffset.UtcNow;
        await PutAsync("up/a", manifest, "latest");
        Assert.Empty(await UnusedAsync("up", stored - Hour));
    }
}
