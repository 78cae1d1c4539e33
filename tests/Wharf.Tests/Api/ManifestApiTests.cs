using System.Net;
using System.Text;
using System.Text.Json;

namespace Wharf.Tests.Api;

public sealed class ManifestApiTests(WharfApiFactory factory) : ApiTestBase(factory)
{
    private async Task<(string Config, long ConfigSize, string Layer, long LayerSize)> PushBlobsAsync(string repository)
    {
        var config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
        var layer = "layer-" + Guid.NewGuid();
        return (await Registry.PushBlobAsync(repository, config), config.Length, await Registry.PushBlobAsync(repository, layer), layer.Length);
    }

    [Fact]
    public async Task Put_OciManifestByTag_Returns201WithLocationAndDigest()
    {
        var repository = NewRepository();
        var (config, configSize, layer, layerSize) = await PushBlobsAsync(repository);
        var json = Manifests.OciImage(config, configSize, [(layer, layerSize)]);

        using var response = await Registry.PutManifestAsync(repository, "v1", json, Manifests.OciManifestType);

        var digest = RegistryClient.DigestOf(json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/v2/{repository}/manifests/{digest}", response.Headers.Location!.OriginalString);
        Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("digest")]
    public async Task Get_ByTagOrDigest_ReturnsStoredBytesUnchanged(string by)
    {
        var repository = NewRepository();
        var (config, configSize, layer, layerSize) = await PushBlobsAsync(repository);
        // Unusual spacing and an unknown field: the bytes must come back exactly as sent.
        var json = Manifests.OciImage(config, configSize, [(layer, layerSize)]).Replace("{\"schemaVersion\":2,", "{ \"schemaVersion\" : 2, \"x-extra\": [1,2],", StringComparison.Ordinal);
        using var put = await Registry.PutManifestAsync(repository, "v1", json, Manifests.OciManifestType);
        var digest = RegistryClient.DigestOf(json);

        using var response = await Http.GetAsync($"/v2/{repository}/manifests/{(by == "v1" ? "v1" : digest)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(json, await response.Content.ReadAsStringAsync());
        Assert.Equal(Manifests.OciManifestType, response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(Encoding.UTF8.GetByteCount(json), response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task Head_ByTag_ReturnsHeadersWithoutBody()
    {
        var repository = NewRepository();
        var (json, digest) = await Registry.PushImageAsync(repository, "v1");

        using var response = await Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/manifests/v1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(Encoding.UTF8.GetByteCount(json), response.Content.Headers.ContentLength);
        Assert.Equal(Manifests.OciManifestType, response.Content.Headers.ContentType!.MediaType);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_UnknownTag_Returns404ManifestUnknown()
    {
        var repository = NewRepository();
        await Registry.PushImageAsync(repository, "v1");
        using var response = await Http.GetAsync($"/v2/{repository}/manifests/nope");
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task Get_InvalidTag_Returns404ManifestUnknown()
    {
        using var response = await Http.GetAsync($"/v2/{NewRepository()}/manifests/-bad-tag");
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task Put_ByMatchingDigest_Returns201()
    {
        var repository = NewRepository();
        var (config, configSize, layer, layerSize) = await PushBlobsAsync(repository);
        var json = Manifests.OciImage(config, configSize, [(layer, layerSize)]);

        using var response = await Registry.PutManifestAsync(repository, RegistryClient.DigestOf(json), json, Manifests.OciManifestType);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Put_BySha512Digest_StoresAndServesUnderThatDigest()
    {
        var repository = NewRepository();
        var (config, configSize, layer, layerSize) = await PushBlobsAsync(repository);
        var json = Manifests.OciImage(config, configSize, [(layer, layerSize)]);
        var digest = "sha512:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA512.HashData(Encoding.UTF8.GetBytes(json)));

        using var put = await Registry.PutManifestAsync(repository, digest, json, Manifests.OciManifestType);
        using var get = await Http.GetAsync($"/v2/{repository}/manifests/{digest}");

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(digest, put.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(json, await get.Content.ReadAsStringAsync());
        Assert.Equal(digest, get.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Fact]
    public async Task Put_ByMismatchedDigest_Returns400DigestInvalid()
    {
        var repository = NewRepository();
        var (config, configSize, layer, layerSize) = await PushBlobsAsync(repository);
        var json = Manifests.OciImage(config, configSize, [(layer, layerSize)]);

        using var response = await Registry.PutManifestAsync(repository, RegistryClient.DigestOf("other"), json, Manifests.OciManifestType);

        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task Put_MissingLayer_Returns400ManifestBlobUnknown()
    {
        var repository = NewRepository();
        var (config, configSize, _, _) = await PushBlobsAsync(repository);
        var json = Manifests.OciImage(config, configSize, [(RegistryClient.DigestOf("absent layer"), 12)]);

        using var response = await Registry.PutManifestAsync(repository, "v1", json, Manifests.OciManifestType);

        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    public async Task Put_LayerOnlyInAnotherRepository_Returns400ManifestBlobUnknown()
    {
        var other = NewRepository();
        var (config, configSize, layer, layerSize) = await PushBlobsAsync(other);
        var json = Manifests.OciImage(config, configSize, [(layer, layerSize)]);

        using var response = await Registry.PutManifestAsync(NewRepository(), "v1", json, Manifests.OciManifestType);

        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Theory]
    [InlineData("not json", Manifests.OciManifestType)]
    [InlineData("[]", Manifests.OciManifestType)]
    [InlineData("{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"y\",\"fsLayers\":[]}", "application/vnd.docker.distribution.manifest.v1+prettyjws")]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}", Manifests.OciManifestType)]
    [InlineData("{\"schemaVersion\":2,\"config\":{}}", Manifests.OciManifestType)]
    [InlineData("{\"schemaVersion\":2,\"manifests\":[]}", "application/vnd.example.unknown+json")]
    [InlineData("{\"schemaVersion\":2}", Manifests.OciManifestType)]
    public async Task Put_InvalidManifest_Returns400ManifestInvalid(string body, string contentType)
    {
        using var response = await Registry.PutManifestAsync(NewRepository(), "v1", body, contentType);
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task Put_LargerThan4MiB_Returns413ManifestInvalid()
    {
        var body = "{\"schemaVersion\":2,\"pad\":\"" + new string('x', 4 * 1024 * 1024) + "\"}";
        using var response = await Registry.PutManifestAsync(NewRepository(), "v1", body, Manifests.OciManifestType);
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task Put_DockerSchema2AndManifestList_Return201()
    {
        var repository = NewRepository();
        var (config, configSize, layer, layerSize) = await PushBlobsAsync(repository);
        var image = Manifests.DockerImage(config, configSize, [(layer, layerSize)]);
        using var putImage = await Registry.PutManifestAsync(repository, "amd64", image, Manifests.DockerManifestType);
        var list = Manifests.Index(Manifests.DockerListType, Manifests.DockerManifestType, [(RegistryClient.DigestOf(image), Encoding.UTF8.GetByteCount(image), "amd64")]);

        using var putList = await Registry.PutManifestAsync(repository, "latest", list, Manifests.DockerListType);
        using var get = await Http.GetAsync($"/v2/{repository}/manifests/latest");

        Assert.Equal(HttpStatusCode.Created, putImage.StatusCode);
        Assert.Equal(HttpStatusCode.Created, putList.StatusCode);
        Assert.Equal(Manifests.DockerListType, get.Content.Headers.ContentType!.MediaType);
        Assert.Equal(list, await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Put_OciIndexWithChildren_Returns201()
    {
        var repository = NewRepository();
        var (amd64, amd64Digest) = await Registry.PushImageAsync(repository, "amd64", "amd64");
        var (arm64, arm64Digest) = await Registry.PushImageAsync(repository, "arm64", "arm64");
        var index = Manifests.Index(Manifests.OciIndexType, Manifests.OciManifestType,
            [(amd64Digest, Encoding.UTF8.GetByteCount(amd64), "amd64"), (arm64Digest, Encoding.UTF8.GetByteCount(arm64), "arm64")]);

        using var response = await Registry.PutManifestAsync(repository, "multi", index, Manifests.OciIndexType);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Put_SparseIndex_IsAcceptedByDefault()
    {
        var repository = NewRepository();
        var (amd64, amd64Digest) = await Registry.PushImageAsync(repository, "amd64", "amd64");
        var index = Manifests.Index(Manifests.OciIndexType, Manifests.OciManifestType,
            [(amd64Digest, Encoding.UTF8.GetByteCount(amd64), "amd64"), (RegistryClient.DigestOf("arm64 not mirrored"), 10, "arm64")]);

        using var response = await Registry.PutManifestAsync(repository, "multi", index, Manifests.OciIndexType);
        using var get = await Http.GetAsync($"/v2/{repository}/manifests/multi");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(index, await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Put_WithSubject_ReturnsOciSubjectHeader()
    {
        var repository = NewRepository();
        var (config, configSize, layer, layerSize) = await PushBlobsAsync(repository);
        var subject = RegistryClient.DigestOf("subject manifest");
        var json = Manifests.OciImage(config, configSize, [(layer, layerSize)], subject, "application/vnd.example.signature");

        using var response = await Registry.PutManifestAsync(repository, RegistryClient.DigestOf(json), json, Manifests.OciManifestType);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(subject, response.Headers.GetValues("OCI-Subject").Single());
    }

    [Fact]
    public async Task Put_ContentTypeWithoutBodyMediaType_UsesContentType()
    {
        var repository = NewRepository();
        var (config, configSize, layer, layerSize) = await PushBlobsAsync(repository);
        var json = Manifests.OciImage(config, configSize, [(layer, layerSize)]).Replace($"\"mediaType\":\"{Manifests.OciManifestType}\",", "", StringComparison.Ordinal);

        using var put = await Registry.PutManifestAsync(repository, "v1", json, Manifests.OciManifestType);
        using var get = await Http.GetAsync($"/v2/{repository}/manifests/v1");

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(Manifests.OciManifestType, get.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Put_SameTagAgain_MovesTheTag()
    {
        var repository = NewRepository();
        await Registry.PushImageAsync(repository, "latest", "one");
        var (_, second) = await Registry.PushImageAsync(repository, "latest", "two");

        using var response = await Http.GetAsync($"/v2/{repository}/manifests/latest");

        Assert.Equal(second, response.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Fact]
    public async Task Delete_ByDigest_Returns202AndRemovesManifestAndItsTags()
    {
        var repository = NewRepository();
        var (_, digest) = await Registry.PushImageAsync(repository, "v1");
        await Registry.PushImageAsync(repository, "v2", "other");
        using var alias = await Registry.PutManifestAsync(repository, "alias", (await (await Http.GetAsync($"/v2/{repository}/manifests/v1")).Content.ReadAsStringAsync()), Manifests.OciManifestType);

        using var delete = await Http.DeleteAsync($"/v2/{repository}/manifests/{digest}");
        using var byTag = await Http.GetAsync($"/v2/{repository}/manifests/v1");
        using var byDigest = await Http.GetAsync($"/v2/{repository}/manifests/{digest}");
        var tags = await Http.GetStringAsync($"/v2/{repository}/tags/list");

        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        await RegistryClient.AssertErrorAsync(byTag, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await RegistryClient.AssertErrorAsync(byDigest, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        Assert.Equal(["v2"], JsonDocument.Parse(tags).RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task Delete_ByTag_RemovesOnlyThatTag()
    {
        var repository = NewRepository();
        var (json, digest) = await Registry.PushImageAsync(repository, "v1");
        using var alias = await Registry.PutManifestAsync(repository, "alias", json, Manifests.OciManifestType);

        using var delete = await Http.DeleteAsync($"/v2/{repository}/manifests/v1");
        using var byTag = await Http.GetAsync($"/v2/{repository}/manifests/v1");
        using var byAlias = await Http.GetAsync($"/v2/{repository}/manifests/alias");
        using var byDigest = await Http.GetAsync($"/v2/{repository}/manifests/{digest}");

        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byTag.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byAlias.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
    }

    [Fact]
    public async Task Delete_Unknown_Returns404ManifestUnknown()
    {
        using var response = await Http.DeleteAsync($"/v2/{NewRepository()}/manifests/{RegistryClient.DigestOf("x")}");
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task Put_SameTagConcurrently_AllSucceedAndTagPointsAtOneOfThem()
    {
        var repository = NewRepository();
        var images = new List<(string Json, string Digest)>();
        for (var i = 0; i < 8; i++)
        {
            images.Add(await Registry.PushImageAsync(repository, $"seed{i}", $"seed{i}"));
        }

        var statuses = await Task.WhenAll(images.Select(async image =>
        {
            using var response = await Registry.PutManifestAsync(repository, "race", image.Json, Manifests.OciManifestType);
            return response.StatusCode;
        }));
        using var get = await Http.GetAsync($"/v2/{repository}/manifests/race");

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Created, s));
        Assert.Contains(get.Headers.GetValues("Docker-Content-Digest").Single(), images.Select(i => i.Digest));
    }
}

public sealed class RequireIndexChildrenTests : IDisposable
{
    private readonly WharfApiFactory _factory = new(("Manifests:RequireIndexChildren", "true"));

    [Fact]
    public async Task Put_IndexWithMissingChild_WhenChildrenRequired_Returns400ManifestBlobUnknown()
    {
        var registry = new RegistryClient(_factory.CreateClient());
        var index = Manifests.Index(Manifests.OciIndexType, Manifests.OciManifestType, [(RegistryClient.DigestOf("no such manifest"), 10, "amd64")]);

        using var response = await registry.PutManifestAsync("team/app", "multi", index, Manifests.OciIndexType);

        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    public async Task Put_IndexWithAllChildren_WhenChildrenRequired_Returns201()
    {
        var registry = new RegistryClient(_factory.CreateClient());
        var (image, digest) = await registry.PushImageAsync("team/app", "amd64");
        var index = Manifests.Index(Manifests.OciIndexType, Manifests.OciManifestType, [(digest, Encoding.UTF8.GetByteCount(image), "amd64")]);

        using var response = await registry.PutManifestAsync("team/app", "multi", index, Manifests.OciIndexType);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public void Dispose() => _factory.Dispose();
}
