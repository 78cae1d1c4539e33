using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Wharf.Tests.Api;

namespace Wharf.Tests.Conformance;

/// <summary>
/// OCI Distribution Specification v1.1, "Pull": pulling manifests and blobs, and checking that
/// content exists. Every conforming registry must support this category.
/// </summary>
[Trait("Category", "Conformance")]
[Trait("Section", "Pull")]
public sealed class PullConformanceTests(WharfApiFactory factory) : ConformanceTestBase(factory)
{
    // ---- Pulling manifests ----------------------------------------------------------------

    [Fact]
    [Trait("Requirement", "Pull / Pulling manifests [MUST]: GET of an existing manifest by tag answers 200 OK with the manifest")]
    public async Task Pull_GetManifestByTag_MustReturn200WithManifestBody()
    {
        var repository = NewRepository();
        var (json, _) = await PushImageAsync(repository, "v1");

        using var response = await GetAsync($"/v2/{repository}/manifests/v1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Bytes(json), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("Requirement", "Pull / Pulling manifests [MUST]: GET of an existing manifest by digest answers 200 OK with the manifest")]
    public async Task Pull_GetManifestByDigest_MustReturn200WithManifestBody()
    {
        var repository = NewRepository();
        var (json, digest) = await PushImageAsync(repository, "v1");

        using var response = await GetAsync($"/v2/{repository}/manifests/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Bytes(json), await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("tag")]
    [InlineData("digest")]
    [Trait("Requirement", "Pull / Pulling manifests [SHOULD in v1.1, MUST in later drafts]: a successful manifest GET carries Docker-Content-Digest, the digest of the returned bytes")]
    public async Task Pull_GetManifest_ShouldReturnDockerContentDigestMatchingBody(string by)
    {
        var repository = NewRepository();
        var (_, digest) = await PushImageAsync(repository, "v1");

        using var response = await GetAsync($"/v2/{repository}/manifests/{(by == "tag" ? "v1" : digest)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(digest, SingleHeader(response, "Docker-Content-Digest"));
        Assert.Equal(digest, Sha256(await response.Content.ReadAsByteArrayAsync()));
    }

    [Theory]
    [InlineData(OciTypes.ImageManifest)]
    [InlineData(OciTypes.ImageIndex)]
    [InlineData(OciTypes.DockerManifest)]
    [InlineData(OciTypes.DockerManifestList)]
    [Trait("Requirement", "Pull / Pulling manifests [SHOULD]: the Content-Type of a pulled manifest matches the Content-Type it was pushed with")]
    public async Task Pull_GetManifest_ContentTypeShouldMatchPushedType(string mediaType)
    {
        var repository = NewRepository();
        var json = await PushManifestOfTypeAsync(repository, "v1", mediaType);

        using var response = await GetAsync($"/v2/{repository}/manifests/v1", mediaType);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Bytes(json), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("Requirement", "Pull / Pulling manifests [SHOULD NOT]: the registry does not put parameters on a manifest's Content-Type")]
    public async Task Pull_GetManifest_ContentTypeShouldNotHaveParameters()
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "v1");

        using var response = await GetAsync($"/v2/{repository}/manifests/v1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var contentType = Assert.Single(response.Content.Headers.GetValues("Content-Type"));
        Assert.Equal(OciTypes.ImageManifest, contentType);
    }

    [Fact]
    [Trait("Requirement", "Pull / Pulling manifests [MUST]: a manifest tag not in the repository answers 404 Not Found")]
    public async Task Pull_GetUnknownManifestTag_MustReturn404()
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "v1");

        using var response = await GetAsync($"/v2/{repository}/manifests/missing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Pull / Pulling manifests [MUST]: a manifest digest not in the repository answers 404 Not Found")]
    public async Task Pull_GetUnknownManifestDigest_MustReturn404()
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "v1");

        using var response = await GetAsync($"/v2/{repository}/manifests/{Sha256("no such manifest")}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Pull / Pulling manifests [MUST]: a manifest that exists only in another repository is not found in this one (404)")]
    public async Task Pull_GetManifestOfAnotherRepository_MustReturn404()
    {
        var source = NewRepository();
        var other = NewRepository();
        var (_, digest) = await PushImageAsync(source, "v1");
        await PushImageAsync(other, "v1", seed: "other");

        using var response = await GetAsync($"/v2/{other}/manifests/{digest}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Pull / Pulling manifests [MUST]: a tag of at most 128 characters from [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127} is a valid reference")]
    public async Task Pull_TagOf128Characters_MustBeUsableAsReference()
    {
        var repository = NewRepository();
        var tag = "_" + string.Concat(Enumerable.Repeat("aZ9._-", 22))[..127];
        Assert.Equal(128, tag.Length);
        var (json, _) = await PushImageAsync(repository, tag);

        using var response = await GetAsync($"/v2/{repository}/manifests/{tag}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Bytes(json), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("Requirement", "Pull / Pulling manifests [MUST]: <name> follows the spec's grammar; names using every separator ('.', '_', '__', '-+', '/') are served")]
    public async Task Pull_RepositoryNameWithEverySeparator_MustBeServed()
    {
        var repository = $"a0.b_c__d-e---f/g{Guid.NewGuid():N}/h.i";
        var (json, digest) = await PushImageAsync(repository, "v1");

        using var byTag = await GetAsync($"/v2/{repository}/manifests/v1");
        using var byDigest = await GetAsync($"/v2/{repository}/manifests/{digest}");

        Assert.Equal(HttpStatusCode.OK, byTag.StatusCode);
        Assert.Equal(Bytes(json), await byTag.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
    }

    [Theory]
    [InlineData("Upper/case")]
    [InlineData("trailing-/x")]
    [InlineData("a..b")]
    [Trait("Requirement", "Pull / Pulling manifests [MUST]: <name> matches the spec's grammar; a name outside it is refused (NAME_INVALID, error code-8)")]
    public async Task Pull_RepositoryNameOutsideGrammar_MustBeRefusedWithNameInvalid(string name)
    {
        using var response = await GetAsync($"/v2/{name}/manifests/v1");

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound,
            $"expected 400 or 404 for name '{name}', got {(int)response.StatusCode}");
        Assert.Contains("NAME_INVALID", await SpecErrors.ValidateAsync(response));
    }

    [Fact]
    [Trait("Requirement", "Pull / Pulling manifests [MUST]: sha512 is a registered digest algorithm; a manifest pushed under a sha512 digest is pulled by it with that Docker-Content-Digest")]
    public async Task Pull_GetManifestBySha512Digest_MustReturn200WithSha512Digest()
    {
        var repository = NewRepository();
        var config = Bytes("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
        var configDigest = await PushBlobAsync(repository, config);
        var json = OciJson.Manifest(new OciJson.Desc(OciTypes.ImageConfig, configDigest, config.Length), []);
        var digest = Sha512(json);
        using (var put = await PutManifestAsync(repository, digest, json))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using var response = await GetAsync($"/v2/{repository}/manifests/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Bytes(json), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, SingleHeader(response, "Docker-Content-Digest"));
    }

    // ---- Content negotiation --------------------------------------------------------------

    [Fact]
    [Trait("Requirement", "Pull / Pulling manifests, content negotiation [SHOULD]: a client lists the types it takes in Accept; a manifest of a listed type is served with that type")]
    public async Task Pull_ManifestWhoseTypeIsInAcceptList_MustBeServedWithThatType()
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "v1");

        using var response = await GetAsync($"/v2/{repository}/manifests/v1",
            OciTypes.DockerManifest, OciTypes.DockerManifestList, OciTypes.ImageIndex, OciTypes.ImageManifest);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OciTypes.ImageManifest, response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [Trait("Requirement", "Pull / Pulling manifests, content negotiation: a manifest whose type the Accept header does not list is not served; Wharf answers 404 MANIFEST_UNKNOWN (the spec leaves the status to the registry)")]
    public async Task Pull_ManifestWhoseTypeIsNotInAcceptList_MustNotBeServed(string method)
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "v1");
        var request = new HttpRequestMessage(new HttpMethod(method), $"/v2/{repository}/manifests/v1");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciTypes.DockerManifest));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciTypes.DockerManifestList));

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        if (method == "GET")
        {
            Assert.Contains("MANIFEST_UNKNOWN", await SpecErrors.ValidateAsync(response));
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("*/*")]
    [InlineData("application/json")]
    [Trait("Requirement", "Pull / Pulling manifests, content negotiation: a client that names no manifest type (no Accept, */*, application/json) is served the manifest as pushed")]
    public async Task Pull_ManifestWithoutSpecificAccept_MustBeServedAsPushed(string? accept)
    {
        var repository = NewRepository();
        var (json, _) = await PushImageAsync(repository, "v1");

        using var response = accept is null
            ? await GetAsync($"/v2/{repository}/manifests/v1")
            : await GetAsync($"/v2/{repository}/manifests/v1", accept);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OciTypes.ImageManifest, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Bytes(json), await response.Content.ReadAsByteArrayAsync());
    }

    // ---- Pulling blobs --------------------------------------------------------------------

    [Fact]
    [Trait("Requirement", "Pull / Pulling blobs [MUST]: GET of an existing blob answers 200 OK with the blob's bytes")]
    public async Task Pull_GetBlob_MustReturn200WithBlobBody()
    {
        var repository = NewRepository();
        var blob = RandomBytes(4096);
        var digest = await PushBlobAsync(repository, blob);

        using var response = await GetAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(blob, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("Requirement", "Pull / Pulling blobs [SHOULD; MUST match if present]: a blob GET carries Docker-Content-Digest, equal to the digest of the body")]
    public async Task Pull_GetBlob_DockerContentDigestMustMatchBody()
    {
        var repository = NewRepository();
        var blob = RandomBytes(1000);
        var digest = await PushBlobAsync(repository, blob);

        using var response = await GetAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(digest, SingleHeader(response, "Docker-Content-Digest"));
        Assert.Equal(digest, Sha256(await response.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    [Trait("Requirement", "Pull / Pulling blobs [MUST]: a blob not in the repository answers 404 Not Found")]
    public async Task Pull_GetUnknownBlob_MustReturn404()
    {
        var repository = NewRepository();
        await PushBlobAsync(repository, Bytes("something"));

        using var response = await GetAsync($"/v2/{repository}/blobs/{Sha256("nothing")}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Pull / Pulling blobs [MUST]: a blob held only by another repository is not found in this one (404)")]
    public async Task Pull_GetBlobOfAnotherRepository_MustReturn404()
    {
        var source = NewRepository();
        var other = NewRepository();
        var digest = await PushBlobAsync(source, RandomBytes(100));
        await PushBlobAsync(other, RandomBytes(100));

        using var response = await GetAsync($"/v2/{other}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("bytes=0-0", 0, 0)]
    [InlineData("bytes=10-19", 10, 19)]
    [InlineData("bytes=90-", 90, 99)]
    [InlineData("bytes=-5", 95, 99)]
    [InlineData("bytes=50-1000", 50, 99)]
    [Trait("Requirement", "Pull / Pulling blobs [SHOULD]: the registry supports Range requests per RFC 9110: 206 Partial Content with the requested bytes and Content-Range")]
    public async Task Pull_BlobRangeRequest_ShouldReturn206WithRequestedBytes(string range, int first, int last)
    {
        var repository = NewRepository();
        var blob = RandomBytes(100);
        var digest = await PushBlobAsync(repository, blob);
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}");
        request.Headers.TryAddWithoutValidation("Range", range);

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {first}-{last}/100", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(blob[first..(last + 1)], await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("Requirement", "Pull / Pulling blobs [SHOULD]: per RFC 9110 a range wholly beyond the blob answers 416 with Content-Range: bytes */<size>")]
    public async Task Pull_BlobUnsatisfiableRange_ShouldReturn416()
    {
        var repository = NewRepository();
        var blob = RandomBytes(100);
        var digest = await PushBlobAsync(repository, blob);
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}");
        request.Headers.Range = new RangeHeaderValue(100, 200);

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal("bytes */100", response.Content.Headers.ContentRange?.ToString());
    }

    // ---- Checking if content exists -------------------------------------------------------

    [Theory]
    [InlineData("tag")]
    [InlineData("digest")]
    [Trait("Requirement", "Pull / Checking if content exists [MUST]: HEAD of an existing manifest answers 200 OK (and no body)")]
    public async Task Pull_HeadManifest_MustReturn200(string by)
    {
        var repository = NewRepository();
        var (_, digest) = await PushImageAsync(repository, "v1");

        using var response = await HeadAsync($"/v2/{repository}/manifests/{(by == "tag" ? "v1" : digest)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("tag")]
    [InlineData("digest")]
    [Trait("Requirement", "Pull / Checking if content exists [SHOULD in v1.1, MUST in later drafts]: a successful manifest HEAD carries Docker-Content-Digest")]
    public async Task Pull_HeadManifest_ShouldReturnDockerContentDigest(string by)
    {
        var repository = NewRepository();
        var (_, digest) = await PushImageAsync(repository, "v1");

        using var response = await HeadAsync($"/v2/{repository}/manifests/{(by == "tag" ? "v1" : digest)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(digest, SingleHeader(response, "Docker-Content-Digest"));
    }

    [Fact]
    [Trait("Requirement", "Pull / Checking if content exists [SHOULD in v1.1, MUST in later drafts]: a successful manifest HEAD carries Content-Length, the manifest's size")]
    public async Task Pull_HeadManifest_ShouldReturnContentLength()
    {
        var repository = NewRepository();
        var (json, _) = await PushImageAsync(repository, "v1");

        using var response = await HeadAsync($"/v2/{repository}/manifests/v1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Encoding.UTF8.GetByteCount(json), response.Content.Headers.ContentLength);
    }

    [Fact]
    [Trait("Requirement", "Pull / Checking if content exists [MUST]: HEAD of an existing blob answers 200 OK (and no body)")]
    public async Task Pull_HeadBlob_MustReturn200()
    {
        var repository = NewRepository();
        var digest = await PushBlobAsync(repository, RandomBytes(321));

        using var response = await HeadAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("Requirement", "Pull / Checking if content exists [SHOULD in v1.1, MUST in later drafts]: a successful blob HEAD carries Docker-Content-Digest")]
    public async Task Pull_HeadBlob_ShouldReturnDockerContentDigest()
    {
        var repository = NewRepository();
        var digest = await PushBlobAsync(repository, RandomBytes(321));

        using var response = await HeadAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(digest, SingleHeader(response, "Docker-Content-Digest"));
    }

    [Fact]
    [Trait("Requirement", "Pull / Checking if content exists [SHOULD in v1.1, MUST in later drafts]: a successful blob HEAD carries Content-Length, the blob's size")]
    public async Task Pull_HeadBlob_ShouldReturnContentLength()
    {
        var repository = NewRepository();
        var digest = await PushBlobAsync(repository, RandomBytes(321));

        using var response = await HeadAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(321, response.Content.Headers.ContentLength);
    }

    [Theory]
    [InlineData("tag")]
    [InlineData("digest")]
    [Trait("Requirement", "Pull / Checking if content exists [MUST]: HEAD of a manifest not in the repository answers 404 Not Found")]
    public async Task Pull_HeadUnknownManifest_MustReturn404(string by)
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "v1");

        using var response = await HeadAsync($"/v2/{repository}/manifests/{(by == "tag" ? "missing" : Sha256("missing"))}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("GET", ".INVALID_MANIFEST_NAME")]
    [InlineData("HEAD", ".INVALID_MANIFEST_NAME")]
    [InlineData("GET", "-dash")]
    [InlineData("HEAD", "-dash")]
    [InlineData("DELETE", ".INVALID_MANIFEST_NAME")]
    [Trait("Requirement", "Pull / Pulling manifests [MUST, conformance suite v1.1]: a reference that is neither a tag nor a digest names no manifest: GET and HEAD answer 404 MANIFEST_UNKNOWN (DELETE too)")]
    public async Task Pull_ReferenceNeitherTagNorDigest_MustReturn404ManifestUnknown(string method, string reference)
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "v1");

        using var response = await Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/v2/{repository}/manifests/{reference}"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        if (method != "HEAD")
        {
            Assert.Contains("MANIFEST_UNKNOWN", await SpecErrors.ValidateAsync(response));
        }
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("DELETE")]
    [InlineData("PUT")]
    [Trait("Requirement", "Pull / Pulling manifests: a malformed digest as reference stays 400 DIGEST_INVALID on every method")]
    public async Task Pull_MalformedDigestReference_MustReturn400DigestInvalid(string method)
    {
        var repository = NewRepository();
        var (json, _) = await PushImageAsync(repository, "v1");
        var request = new HttpRequestMessage(new HttpMethod(method), $"/v2/{repository}/manifests/sha256:xyz");
        if (method == "PUT")
        {
            request.Content = new ByteArrayContent(Bytes(json));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(OciTypes.ImageManifest);
        }

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        if (method != "HEAD")
        {
            Assert.Contains("DIGEST_INVALID", await SpecErrors.ValidateAsync(response));
        }
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests: a PUT whose tag breaks the grammar stays 400 TAG_INVALID and stores nothing")]
    public async Task Push_ManifestUnderInvalidTag_Returns400TagInvalidAndStoresNothing()
    {
        var repository = NewRepository();
        var (json, digest) = await PushImageAsync(repository, "v1");
        using (var delete = await DeleteAsync($"/v2/{repository}/manifests/{digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        using var response = await PutManifestAsync(repository, ".INVALID_MANIFEST_NAME", json);

        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "TAG_INVALID");
        using var byDigest = await HeadAsync($"/v2/{repository}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, byDigest.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Pull / Checking if content exists [MUST]: HEAD of a blob not in the repository answers 404 Not Found")]
    public async Task Pull_HeadUnknownBlob_MustReturn404()
    {
        var repository = NewRepository();
        await PushBlobAsync(repository, Bytes("something"));

        using var response = await HeadAsync($"/v2/{repository}/blobs/{Sha256("nothing")}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    // ---- helpers ----------------------------------------------------------------------------

    /// <summary>Pushes a manifest of the given type (with its blobs) under <paramref name="tag"/>; returns its JSON.</summary>
    private async Task<string> PushManifestOfTypeAsync(string repository, string tag, string mediaType)
    {
        var docker = mediaType is OciTypes.DockerManifest or OciTypes.DockerManifestList;
        var config = Bytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"type\":\"{mediaType}\"}}");
        var layer = RandomBytes(64);
        var configDigest = await PushBlobAsync(repository, config);
        var layerDigest = await PushBlobAsync(repository, layer);
        var image = docker
            ? Api.Manifests.DockerImage(configDigest, config.Length, [(layerDigest, layer.Length)])
            : OciJson.Manifest(new OciJson.Desc(OciTypes.ImageConfig, configDigest, config.Length), [new OciJson.Desc(OciTypes.Layer, layerDigest, layer.Length)]);
        var imageType = docker ? OciTypes.DockerManifest : OciTypes.ImageManifest;
        string json;
        if (mediaType == imageType)
        {
            json = image;
        }
        else
        {
            var imageDigest = Sha256(image);
            using (var put = await PutManifestAsync(repository, imageDigest, image, imageType))
            {
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            }
            json = Api.Manifests.Index(mediaType, imageType, [(imageDigest, Encoding.UTF8.GetByteCount(image), "amd64")]);
        }
        using var response = await PutManifestAsync(repository, tag, json, mediaType);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return json;
    }
}
