using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Wharf.Tests.Api;
using TestManifests = Wharf.Tests.Api.Manifests;

namespace Wharf.Tests.Ui;

/// <summary>The web UI's JSON API (<c>/wharf/ui/api/...</c>) without authentication.</summary>
public sealed class UiApiTests(WharfApiFactory factory) : ApiTestBase(factory)
{
    private const string Repositories = "/wharf/ui/api/repositories";
    private const string Tags = "/wharf/ui/api/tags";

    private static string Id() => Guid.NewGuid().ToString("N");

    private async Task<(JsonElement Root, string? Next)> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var next = response.Headers.TryGetValues("Link", out var link) ? link.Single().Split(';')[0].Trim('<', '>') : null;
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (document.RootElement.Clone(), next);
    }

    private static List<string> Names(JsonElement root, string array) =>
        [.. root.GetProperty(array).EnumerateArray().Select(e => e.GetProperty("name").GetString()!)];

    /// <summary>Pushes an image; returns its digest and what a pull downloads (manifest, config, layer).</summary>
    private async Task<(string Digest, long Size)> PushImageAsync(string repository, string reference, string seed)
    {
        var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":\"{seed}\"}}");
        var layer = Encoding.UTF8.GetBytes($"layer bytes for {seed}, somewhat longer");
        var configDigest = await Registry.PushBlobAsync(repository, config);
        var layerDigest = await Registry.PushBlobAsync(repository, layer);
        var json = TestManifests.OciImage(configDigest, config.Length, [(layerDigest, layer.Length)]);
        using var response = await Registry.PutManifestAsync(repository, reference, json, TestManifests.OciManifestType);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (RegistryClient.DigestOf(json), Encoding.UTF8.GetByteCount(json) + config.Length + layer.Length);
    }

    [Fact]
    public async Task Repositories_Filter_ListsMatchingRepositoriesByPageWithTheirTagsSizeAndLastPush()
    {
        var id = Id();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var (_, size) = await PushImageAsync($"ui/{id}/a", "v1", "a");
        await PushImageAsync($"ui/{id}/a", "v2", "a"); // the same image: the size does not grow
        await PushImageAsync($"ui/{id}/b", "v1", "b");
        await PushImageAsync($"ui/{id}/c", "v1", "c");
        await PushImageAsync($"ui/x{Id()}", "v1", "x");

        var (first, next) = await GetJsonAsync($"{Repositories}?filter={id.ToUpperInvariant()}&n=2");
        Assert.Equal([$"ui/{id}/a", $"ui/{id}/b"], Names(first, "repositories"));
        Assert.NotNull(next);
        var (second, end) = await GetJsonAsync(next);
        Assert.Equal([$"ui/{id}/c"], Names(second, "repositories"));
        Assert.Null(end);

        var a = first.GetProperty("repositories")[0];
        Assert.Equal(2, a.GetProperty("tags").GetInt64());
        Assert.Equal(size, a.GetProperty("size").GetInt64());
        var lastPush = a.GetProperty("lastPush").GetString()!;
        Assert.EndsWith("Z", lastPush, StringComparison.Ordinal);
        Assert.InRange(DateTimeOffset.Parse(lastPush, CultureInfo.InvariantCulture), before, DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task Repositories_PageSize_DefaultsTo50AndIsAtMost1000()
    {
        var id = Id();
        for (var i = 0; i < 51; i++)
        {
            await Registry.PushBlobAsync($"ui/{id}/r{i:D2}", $"blob {i}");
        }

        var (page, next) = await GetJsonAsync($"{Repositories}?filter={id}");
        Assert.Equal(50, page.GetProperty("repositories").GetArrayLength());
        Assert.NotNull(next);
        Assert.Contains("n=50&", next, StringComparison.Ordinal);
        Assert.Contains($"filter={id}", next, StringComparison.Ordinal);
        var (all, _) = await GetJsonAsync($"{Repositories}?filter={id}&n=5000");
        Assert.Equal(51, all.GetProperty("repositories").GetArrayLength());
        // A repository without tags: counted, with no push time.
        Assert.Equal(0, all.GetProperty("repositories")[0].GetProperty("tags").GetInt64());
        Assert.Equal(JsonValueKind.Null, all.GetProperty("repositories")[0].GetProperty("lastPush").ValueKind);

        using var zero = await Http.GetAsync($"{Repositories}?n=0");
        Assert.Equal(HttpStatusCode.BadRequest, zero.StatusCode);
    }

    [Fact]
    public async Task Tags_ImageIndexAndArtifact_HaveTheirKindsAndSizes()
    {
        var repository = NewRepository("ui");
        var (imageDigest, imageSize) = await PushImageAsync(repository, "v1", "v1");
        var children = new List<(string Digest, long Size, string Arch)>();
        foreach (var arch in new[] { "amd64", "arm64" })
        {
            var config = await Registry.PushBlobAsync(repository, $"{{\"architecture\":\"{arch}\"}}");
            var json = TestManifests.OciImage(config, Encoding.UTF8.GetByteCount($"{{\"architecture\":\"{arch}\"}}"), []);
            var digest = RegistryClient.DigestOf(json);
            using var put = await Registry.PutManifestAsync(repository, digest, json, TestManifests.OciManifestType);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            children.Add((digest, Encoding.UTF8.GetByteCount(json), arch));
        }
        var index = TestManifests.Index(TestManifests.OciIndexType, TestManifests.OciManifestType, children);
        using (var put = await Registry.PutManifestAsync(repository, "multi", index, TestManifests.OciIndexType))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        var emptyConfig = await Registry.PushBlobAsync(repository, "{}");
        var sbomLayer = await Registry.PushBlobAsync(repository, "an sbom");
        var artifact = TestManifests.OciImage(emptyConfig, 2, [(sbomLayer, 7)], subject: imageDigest, artifactType: "application/spdx+json");
        using (var put = await Registry.PutManifestAsync(repository, "sbom", artifact, TestManifests.OciManifestType))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var (root, next) = await GetJsonAsync($"{Tags}?repository={repository}");

        Assert.Null(next);
        Assert.Equal(repository, root.GetProperty("name").GetString());
        var tags = root.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        Assert.Equal(["multi", "sbom", "v1"], tags.Keys);
        var image = tags["v1"];
        Assert.Equal(("image", imageDigest, TestManifests.OciManifestType, imageSize), (image.GetProperty("kind").GetString(), image.GetProperty("digest").GetString(),
            image.GetProperty("mediaType").GetString(), image.GetProperty("size").GetInt64()));
        Assert.Equal(JsonValueKind.Null, image.GetProperty("artifactType").ValueKind);
        var multi = tags["multi"];
        Assert.Equal(("index", TestManifests.OciIndexType, (long)Encoding.UTF8.GetByteCount(index)),
            (multi.GetProperty("kind").GetString(), multi.GetProperty("mediaType").GetString(), multi.GetProperty("size").GetInt64()));
        var sbom = tags["sbom"];
        Assert.Equal(("artifact", "application/spdx+json", Encoding.UTF8.GetByteCount(artifact) + 2L + 7L),
            (sbom.GetProperty("kind").GetString(), sbom.GetProperty("artifactType").GetString(), sbom.GetProperty("size").GetInt64()));
        Assert.Equal(Encoding.UTF8.GetByteCount(artifact), sbom.GetProperty("manifestSize").GetInt64());
    }

    [Fact]
    public async Task Tags_SortFilterAndPages_FollowTheQuery()
    {
        var repository = NewRepository("ui");
        foreach (var tag in new[] { "b-dev", "c", "a-dev", "d" })
        {
            await PushImageAsync(repository, tag, tag);
            await Task.Delay(20); // the push times apart
        }

        var (byName, _) = await GetJsonAsync($"{Tags}?repository={repository}");
        Assert.Equal(["a-dev", "b-dev", "c", "d"], Names(byName, "tags"));
        var (byDate, _) = await GetJsonAsync($"{Tags}?repository={repository}&sort=date");
        Assert.Equal(["d", "a-dev", "c", "b-dev"], Names(byDate, "tags"));
        var (filtered, _) = await GetJsonAsync($"{Tags}?repository={repository}&filter=DEV&sort=name");
        Assert.Equal(["a-dev", "b-dev"], Names(filtered, "tags"));

        var seen = new List<string>();
        var next = $"{Tags}?repository={repository}&sort=date&n=1";
        for (var pages = 0; next is not null && pages < 10; pages++)
        {
            var (page, link) = await GetJsonAsync(next);
            seen.AddRange(Names(page, "tags"));
            next = link;
        }
        Assert.Equal(["d", "a-dev", "c", "b-dev"], seen);
    }

    [Fact]
    public async Task Tags_UnknownOrInvalidRepositoryOrSort_AreErrors()
    {
        using var unknown = await Http.GetAsync($"{Tags}?repository=ui/none{Id()}");
        await RegistryClient.AssertErrorAsync(unknown, HttpStatusCode.NotFound, "NAME_UNKNOWN");
        using var invalid = await Http.GetAsync($"{Tags}?repository=UI/Bad");
        await RegistryClient.AssertErrorAsync(invalid, HttpStatusCode.BadRequest, "NAME_INVALID");
        using var missing = await Http.GetAsync(Tags);
        await RegistryClient.AssertErrorAsync(missing, HttpStatusCode.BadRequest, "NAME_INVALID");
        var repository = NewRepository("ui");
        await PushImageAsync(repository, "v1", "v1");
        using var sort = await Http.GetAsync($"{Tags}?repository={repository}&sort=size");
        Assert.Equal(HttpStatusCode.BadRequest, sort.StatusCode);
    }
}
