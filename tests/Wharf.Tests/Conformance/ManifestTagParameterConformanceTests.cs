using System.Net;
using Wharf.Tests.Api;

namespace Wharf.Tests.Conformance;

/// <summary>
/// OCI Distribution Specification (main, after v1.1), "Pushing Manifests": a manifest pushed by
/// digest may carry <c>?tag=</c> parameters; the registry then answers an <c>OCI-Tag</c> header for
/// each tag it set. This is also the only way to tag a manifest whose digest is not sha256.
/// </summary>
[Trait("Category", "Conformance")]
[Trait("Section", "Push")]
public sealed class ManifestTagParameterConformanceTests(WharfApiFactory factory) : ConformanceTestBase(factory)
{
    [Fact]
    [Trait("Requirement", "Push / Pushing manifests with tags [MUST]: a PUT by digest with tag parameters answers 201 with an OCI-Tag header for each tag, and every tag then resolves to the manifest")]
    public async Task PushByDigest_TwelveTagParameters_SetsEveryTagAndListsEachInOciTag()
    {
        var repository = NewRepository();
        var json = await ImageManifestAsync(repository);
        var digest = Sha256(json);
        var tags = Enumerable.Range(1, 12).Select(i => $"t{i:D2}").ToList();

        using var put = await PutWithTagsAsync(repository, digest, json, tags);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(digest, SingleHeader(put, "Docker-Content-Digest"));
        Assert.Equal(tags, OciTags(put));
        foreach (var tag in tags)
        {
            using var pulled = await GetAsync($"/v2/{repository}/manifests/{tag}", OciTypes.ImageManifest);
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
            Assert.Equal(digest, SingleHeader(pulled, "Docker-Content-Digest"));
        }
        Assert.Equal(tags, await ListTagsAsync(repository));
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests with tags: a tag parameter outside the tag grammar is refused with 400 TAG_INVALID, and nothing of the push is stored")]
    public async Task PushByDigest_OneBadTagAmongGoodOnes_Returns400TagInvalidAndStoresNothing()
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "existing", seed: "earlier");
        var json = await ImageManifestAsync(repository);
        var digest = Sha256(json);

        using var put = await PutWithTagsAsync(repository, digest, json, ["good1", ".bad", "good2"]);

        await RegistryClient.AssertErrorAsync(put, HttpStatusCode.BadRequest, "TAG_INVALID");
        using (var byDigest = await GetAsync($"/v2/{repository}/manifests/{digest}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, byDigest.StatusCode);
        }
        Assert.Equal(["existing"], await ListTagsAsync(repository));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-dash")]
    [InlineData("a/b")]
    [InlineData("sha256:abc")]
    [Trait("Requirement", "Push / Pushing manifests with tags: every tag parameter is validated like a tag in the path (400 TAG_INVALID)")]
    public async Task PushByDigest_InvalidTagParameter_Returns400TagInvalid(string tag)
    {
        var repository = NewRepository();
        var json = await ImageManifestAsync(repository);

        using var put = await PutWithTagsAsync(repository, Sha256(json), json, [tag]);

        await RegistryClient.AssertErrorAsync(put, HttpStatusCode.BadRequest, "TAG_INVALID");
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests with tags [MAY]: a registry may answer 414 when a push carries too many tags; Wharf takes up to 100")]
    public async Task PushByDigest_MoreThan100Tags_Returns414AndStoresNothing()
    {
        var repository = NewRepository();
        var json = await ImageManifestAsync(repository);
        var digest = Sha256(json);

        using var put = await PutWithTagsAsync(repository, digest, json, Enumerable.Range(0, 101).Select(i => $"{i}").ToList());

        await RegistryClient.AssertErrorAsync(put, HttpStatusCode.RequestUriTooLong, "TAG_INVALID");
        using var byDigest = await GetAsync($"/v2/{repository}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, byDigest.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests with tags: a sha512 manifest tagged by parameter is pulled by that tag with its sha512 digest")]
    public async Task PushBySha512Digest_WithTagParameter_PullByTagAnswersSha512Digest()
    {
        var repository = NewRepository();
        var json = await ImageManifestAsync(repository);
        var digest = Sha512(json);

        using var put = await PutWithTagsAsync(repository, digest, json, ["release"]);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(digest, SingleHeader(put, "Docker-Content-Digest"));
        Assert.Equal(["release"], OciTags(put));
        foreach (var request in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            using var pulled = await Http.SendAsync(new HttpRequestMessage(request, $"/v2/{repository}/manifests/release"));
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
            Assert.Equal(digest, SingleHeader(pulled, "Docker-Content-Digest"));
            if (request == HttpMethod.Get)
            {
                Assert.Equal(Bytes(json), await pulled.Content.ReadAsByteArrayAsync());
            }
        }
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests with tags: a tag parameter moves an existing tag to the pushed manifest")]
    public async Task PushByDigest_TagParameterNamingExistingTag_MovesIt()
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "latest", seed: "old");
        var json = await ImageManifestAsync(repository);
        var digest = Sha256(json);

        using var put = await PutWithTagsAsync(repository, digest, json, ["latest", "latest"]);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(["latest"], OciTags(put));
        using var pulled = await HeadAsync($"/v2/{repository}/manifests/latest");
        Assert.Equal(digest, SingleHeader(pulled, "Docker-Content-Digest"));
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests: a push without tag parameters carries no OCI-Tag header")]
    public async Task PushByDigest_NoTagParameters_NoOciTagAndNoTag()
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "v1", seed: "first");
        var json = await ImageManifestAsync(repository);

        using var put = await PutManifestAsync(repository, Sha256(json), json);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Null(OptionalHeader(put, "OCI-Tag"));
        Assert.Equal(["v1"], await ListTagsAsync(repository));
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests with tags: with a tag in the path as well, the path tag and every parameter are set")]
    public async Task PushByTag_WithTagParameters_SetsPathTagAndParameters()
    {
        var repository = NewRepository();
        var json = await ImageManifestAsync(repository);

        using var put = await PutWithTagsAsync(repository, "v1", json, ["v1.0", "stable"]);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(Sha256(json), SingleHeader(put, "Docker-Content-Digest"));
        Assert.Equal(["v1", "v1.0", "stable"], OciTags(put));
        Assert.Equal(["stable", "v1", "v1.0"], await ListTagsAsync(repository));
    }

    private async Task<HttpResponseMessage> PutWithTagsAsync(string repository, string reference, string json, IReadOnlyList<string> tags)
    {
        var query = string.Join('&', tags.Select(t => "tag=" + Uri.EscapeDataString(t)));
        var content = new ByteArrayContent(Bytes(json));
        content.Headers.ContentType = new(OciTypes.ImageManifest);
        return await Http.PutAsync($"/v2/{repository}/manifests/{reference}?{query}", content);
    }

    // Several OCI-Tag headers and one comma-separated header are both allowed by the spec.
    private static List<string> OciTags(HttpResponseMessage response) =>
        response.Headers.TryGetValues("OCI-Tag", out var values)
            ? values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList()
            : [];

    private async Task<List<string>> ListTagsAsync(string repository)
    {
        using var response = await GetAsync($"/v2/{repository}/tags/list");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToList();
    }

    // An image manifest (config and one layer pushed), not yet pushed itself.
    private async Task<string> ImageManifestAsync(string repository)
    {
        var config = Bytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":\"{Guid.NewGuid():N}\"}}");
        var layer = RandomBytes(64);
        var configDigest = await PushBlobAsync(repository, config);
        var layerDigest = await PushBlobAsync(repository, layer);
        return OciJson.Manifest(
            new OciJson.Desc(OciTypes.ImageConfig, configDigest, config.Length),
            [new OciJson.Desc(OciTypes.Layer, layerDigest, layer.Length)]);
    }
}
