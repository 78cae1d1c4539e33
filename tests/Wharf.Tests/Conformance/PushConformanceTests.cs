using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Wharf.Tests.Api;

namespace Wharf.Tests.Conformance;

/// <summary>
/// OCI Distribution Specification v1.1, "Push": monolithic and chunked blob uploads,
/// cross-repository mounts, and manifest pushes (including manifests with a subject).
/// </summary>
[Trait("Category", "Conformance")]
[Trait("Section", "Push")]
public sealed partial class PushConformanceTests : ConformanceTestBase, IClassFixture<IndexChildrenRequiredRegistry>
{
    private readonly IndexChildrenRequiredRegistry _indexChildrenRequired;

    public PushConformanceTests(WharfApiFactory factory, IndexChildrenRequiredRegistry indexChildrenRequired)
        : base(factory) => _indexChildrenRequired = indexChildrenRequired;

    [GeneratedRegex("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex Uuid();

    [GeneratedRegex("^0-[0-9]+$")]
    private static partial Regex RangeHeader();

    // ---- Pushing blobs monolithically: POST then PUT --------------------------------------

    [Fact]
    [Trait("Requirement", "Push / POST then PUT [MUST]: POST /v2/<name>/blobs/uploads/ (Content-Length: 0) answers 202 Accepted with a Location header")]
    public async Task Push_PostUploads_MustReturn202WithLocation()
    {
        var repository = NewRepository();

        using var response = await OpenUploadAsync(repository);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.False(string.IsNullOrEmpty(RequireLocation(response).OriginalString));
    }

    [Fact]
    [Trait("Requirement", "Push / POST then PUT [MUST]: the upload Location contains a UUID identifying the session; each session gets its own")]
    public async Task Push_UploadLocation_MustContainUniqueUuid()
    {
        var repository = NewRepository();

        var first = await StartUploadAsync(repository);
        var second = await StartUploadAsync(repository);

        var firstId = Uuid().Match(first);
        var secondId = Uuid().Match(second);
        Assert.True(firstId.Success, $"upload location '{first}' contains no UUID");
        Assert.True(secondId.Success, $"upload location '{second}' contains no UUID");
        Assert.NotEqual(firstId.Value, secondId.Value);
    }

    [Fact]
    [Trait("Requirement", "Push / POST then PUT [MUST]: PUT <location>?digest= with the whole blob answers 201 Created with a Location that is a pullable blob URL")]
    public async Task Push_PutBlobToUploadLocation_MustReturn201WithPullableLocation()
    {
        var repository = NewRepository();
        var blob = RandomBytes(2048);
        var digest = Sha256(blob);
        var location = await StartUploadAsync(repository);

        using var put = await Http.PutAsync(WithQuery(location, "digest", digest), OctetStream(blob));

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var pulled = await GetAsync(PathOf(RequireLocation(put)));
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(blob, await pulled.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("Requirement", "Push / POST then PUT [end-6 400, DIGEST_INVALID code-4]: a PUT whose digest does not match the uploaded bytes is refused with 400 DIGEST_INVALID")]
    public async Task Push_PutBlobWithWrongDigest_MustReturn400DigestInvalid()
    {
        var repository = NewRepository();
        var location = await StartUploadAsync(repository);
        var wrong = Sha256("not these bytes");

        using var put = await Http.PutAsync(WithQuery(location, "digest", wrong), OctetStream(RandomBytes(100)));

        await SpecErrors.AssertAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using var head = await HeadAsync($"/v2/{repository}/blobs/{wrong}");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("sha256:ZZZZ7c2f4f8d7b6a5c4e3d2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b")]
    [InlineData("not-a-digest")]
    [Trait("Requirement", "Push / Pushing blobs [SHOULD; end-6 400]: a malformed client digest is answered 400 Bad Request")]
    public async Task Push_PutBlobWithMalformedDigest_ShouldReturn400(string digest)
    {
        var repository = NewRepository();
        var location = await StartUploadAsync(repository);

        using var put = await Http.PutAsync(WithQuery(location, "digest", digest), OctetStream(RandomBytes(10)));

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains("DIGEST_INVALID", await SpecErrors.ValidateAsync(put));
    }

    [Theory]
    [InlineData("md5:9e107d9d372bb6826bd81d3542a419d6")]
    [InlineData("sha384:ca737f1014a48f4c0b6dd43cb177b0afd9e5169367544c494011e3317dbf9a509cb1e5dc1e85a941bbee3d7f2afbc9b1")]
    [Trait("Requirement", "Push / Pushing blobs [SHOULD; end-4b/end-6 400]: a digest with an algorithm the registry does not support is answered 400 Bad Request")]
    public async Task Push_BlobWithUnsupportedDigestAlgorithm_ShouldReturn400(string digest)
    {
        var repository = NewRepository();
        var location = await StartUploadAsync(repository);

        using var put = await Http.PutAsync(WithQuery(location, "digest", digest), OctetStream(RandomBytes(10)));
        using var post = await Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", OctetStream(RandomBytes(10)));

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
    }

    // ---- Pushing blobs monolithically: single POST ----------------------------------------

    [Fact]
    [Trait("Requirement", "Push / Single POST [MAY support; if supported MUST]: POST ?digest= with the blob answers 201 Created with a Location that is a pullable blob URL")]
    public async Task Push_SinglePostWithDigest_MustReturn201WithPullableLocation()
    {
        var repository = NewRepository();
        var blob = RandomBytes(3000);
        var digest = Sha256(blob);

        using var post = await Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", OctetStream(blob));

        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        using var pulled = await GetAsync(PathOf(RequireLocation(post)));
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(blob, await pulled.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("Requirement", "Push / Single POST [MUST match; end-4b 400, DIGEST_INVALID]: a single POST whose digest does not match the body is refused with 400 DIGEST_INVALID")]
    public async Task Push_SinglePostWithWrongDigest_MustReturn400DigestInvalid()
    {
        var repository = NewRepository();
        var wrong = Sha256("other bytes");

        using var post = await Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={wrong}", OctetStream(RandomBytes(100)));

        await SpecErrors.AssertAsync(post, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    // ---- sha512 ------------------------------------------------------------------------------

    [Theory]
    [InlineData("single-post")]
    [InlineData("post-put")]
    [InlineData("chunked")]
    [Trait("Requirement", "Push / Pushing blobs [digests per image-spec]: sha512 is a registered algorithm; a blob pushed under its sha512 digest is stored and pulled by it")]
    public async Task Push_BlobWithSha512Digest_MustBeAcceptedAndPullable(string flow)
    {
        var repository = NewRepository();
        var blob = RandomBytes(5000);
        var digest = Sha512(blob);
        switch (flow)
        {
            case "single-post":
                using (var post = await Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", OctetStream(blob)))
                {
                    Assert.Equal(HttpStatusCode.Created, post.StatusCode);
                }
                break;
            case "post-put":
                await PushBlobPostPutAsync(repository, blob, digest);
                break;
            default:
                var location = await StartUploadAsync(repository);
                using (var patch = await PatchChunkAsync(location, blob, 0, 2000))
                {
                    Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
                    location = PathOf(RequireLocation(patch));
                }
                using (var patch = await PatchChunkAsync(location, blob, 2000, 3000))
                {
                    Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
                    location = PathOf(RequireLocation(patch));
                }
                using (var put = await Http.PutAsync(WithQuery(location, "digest", digest), null))
                {
                    Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                }
                break;
        }

        using var response = await GetAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(blob, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, SingleHeader(response, "Docker-Content-Digest"));
    }

    // ---- Pushing a blob in chunks ---------------------------------------------------------

    [Fact]
    [Trait("Requirement", "Push / Pushing a blob in chunks [MUST]: each accepted chunk answers 202 Accepted with Location and Range: 0-<last byte received>")]
    public async Task Push_PatchChunk_MustReturn202WithLocationAndRange()
    {
        var repository = NewRepository();
        var blob = RandomBytes(1000);
        var location = await StartUploadAsync(repository);

        using var patch = await PatchChunkAsync(location, blob, 0, 400);

        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        RequireLocation(patch);
        Assert.Equal("0-399", SingleHeader(patch, "Range"));
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing a blob in chunks [MUST]: the Range of each chunk response covers every byte received so far, end-of-range being the last byte's offset")]
    public async Task Push_ConsecutiveChunks_RangeMustCoverAllBytesReceived()
    {
        var repository = NewRepository();
        var blob = RandomBytes(1000);
        var location = await StartUploadAsync(repository);
        var ranges = new List<string>();

        foreach (var (start, count) in new[] { (0, 300), (300, 300), (600, 1) })
        {
            using var patch = await PatchChunkAsync(location, blob, start, count);
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            var range = SingleHeader(patch, "Range");
            Assert.Matches(RangeHeader(), range);
            ranges.Add(range);
            location = PathOf(RequireLocation(patch));
        }

        Assert.Equal(["0-299", "0-599", "0-600"], ranges);
    }

    [Theory]
    [InlineData("gap", 300)]
    [InlineData("retry-of-previous-chunk", 0)]
    [InlineData("overlap", 100)]
    [Trait("Requirement", "Push / Pushing a blob in chunks [MUST]: a chunk whose first byte is not the previous end-of-range plus one answers 416 Requested Range Not Satisfiable")]
    public async Task Push_ChunkedUploadOutOfOrder_MustReturn416(string scenario, int start)
    {
        var repository = NewRepository();
        var blob = RandomBytes(1000);
        var location = await StartUploadAsync(repository);
        using (var first = await PatchChunkAsync(location, blob, 0, 200))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            location = PathOf(RequireLocation(first));
        }

        using var response = await PatchChunkAsync(location, blob, start, 200);

        Assert.True(response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable,
            $"{scenario}: expected 416 for a chunk at {start} after 0-199, got {(int)response.StatusCode}");
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing a blob in chunks [MUST]: the first chunk's range begins at 0; a first chunk starting elsewhere answers 416")]
    public async Task Push_FirstChunkNotStartingAtZero_MustReturn416()
    {
        var repository = NewRepository();
        var blob = RandomBytes(100);
        var location = await StartUploadAsync(repository);

        using var response = await PatchChunkAsync(location, blob, 10, 50);

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing a blob in chunks [MUST]: GET <location> of an active upload answers 204 No Content with Location and Range: 0-<end>, from which a client resumes after a 416")]
    public async Task Push_GetUploadStatus_MustReturn204WithLocationAndRange()
    {
        var repository = NewRepository();
        var blob = RandomBytes(1000);
        var location = await StartUploadAsync(repository);
        using (var first = await PatchChunkAsync(location, blob, 0, 250))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            location = PathOf(RequireLocation(first));
        }
        using (var outOfOrder = await PatchChunkAsync(location, blob, 500, 100))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, outOfOrder.StatusCode);
        }

        using var status = await GetAsync(location);

        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.Equal("0-249", SingleHeader(status, "Range"));
        location = PathOf(RequireLocation(status));
        // Resume from the offset the registry reported, through the location it gave.
        using (var resume = await PatchChunkAsync(location, blob, 250, 750))
        {
            Assert.Equal(HttpStatusCode.Accepted, resume.StatusCode);
            location = PathOf(RequireLocation(resume));
        }
        using var put = await Http.PutAsync(WithQuery(location, "digest", Sha256(blob)), null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing a blob in chunks [MUST]: the closing PUT <location>?digest=<whole-blob digest> without a body answers 201 Created with a pullable Location")]
    public async Task Push_ClosingPutAfterChunks_MustReturn201WithPullableLocation()
    {
        var repository = NewRepository();
        var blob = RandomBytes(1500);
        var location = await StartUploadAsync(repository);
        foreach (var (start, count) in new[] { (0, 500), (500, 1000) })
        {
            using var patch = await PatchChunkAsync(location, blob, start, count);
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            location = PathOf(RequireLocation(patch));
        }

        using var put = await Http.PutAsync(WithQuery(location, "digest", Sha256(blob)), null);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var pulled = await GetAsync(PathOf(RequireLocation(put)));
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(blob, await pulled.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing a blob in chunks [MAY/MUST]: the final chunk may ride on the closing PUT (with Content-Range); the PUT answers 201 Created with a pullable Location")]
    public async Task Push_ClosingPutWithFinalChunk_MustReturn201WithPullableLocation()
    {
        var repository = NewRepository();
        var blob = RandomBytes(1500);
        var location = await StartUploadAsync(repository);
        using (var patch = await PatchChunkAsync(location, blob, 0, 1000))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            location = PathOf(RequireLocation(patch));
        }
        var request = new HttpRequestMessage(HttpMethod.Put, WithQuery(location, "digest", Sha256(blob))) { Content = OctetStream(blob, 1000, 500) };
        request.Content.Headers.TryAddWithoutValidation("Content-Range", "1000-1499");

        using var put = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var pulled = await GetAsync(PathOf(RequireLocation(put)));
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(blob, await pulled.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing a blob in chunks [MUST; DIGEST_INVALID]: the closing digest is that of the whole blob; any other digest is refused with 400 DIGEST_INVALID")]
    public async Task Push_ClosingPutWithDigestOfLastChunkOnly_MustReturn400DigestInvalid()
    {
        var repository = NewRepository();
        var blob = RandomBytes(1000);
        var location = await StartUploadAsync(repository);
        foreach (var (start, count) in new[] { (0, 600), (600, 400) })
        {
            using var patch = await PatchChunkAsync(location, blob, start, count);
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            location = PathOf(RequireLocation(patch));
        }

        using var put = await Http.PutAsync(WithQuery(location, "digest", Sha256(blob[600..])), null);

        await SpecErrors.AssertAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing a blob in chunks (conformance suite, 'Blob Upload Streamed'): a PATCH carrying the blob without Content-Range answers 202, and the closing PUT 201")]
    public async Task Push_StreamedPatchWithoutContentRange_MustReturn202()
    {
        var repository = NewRepository();
        var blob = RandomBytes(4000);
        var location = await StartUploadAsync(repository);

        using var patch = await Http.PatchAsync(location, OctetStream(blob));

        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        Assert.Equal("0-3999", SingleHeader(patch, "Range"));
        using var put = await Http.PutAsync(WithQuery(PathOf(RequireLocation(patch)), "digest", Sha256(blob)), null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing a blob in chunks [SHOULD]: a registry with a minimum chunk size advertises OCI-Chunk-Min-Length on POST; without it, small non-final chunks are accepted")]
    public async Task Push_ChunkMinLength_ShouldBeAdvertisedWhenSmallChunksAreRefused()
    {
        var repository = NewRepository();
        var blob = RandomBytes(3);
        using var post = await OpenUploadAsync(repository);
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        var minimum = OptionalHeader(post, "OCI-Chunk-Min-Length");
        var location = PathOf(RequireLocation(post));

        if (minimum is not null)
        {
            Assert.True(long.TryParse(minimum, out var size) && size > 0, $"OCI-Chunk-Min-Length '{minimum}' is not a positive size");
            return;
        }
        for (var i = 0; i < blob.Length; i++)
        {
            using var patch = await PatchChunkAsync(location, blob, i, 1);
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            location = PathOf(RequireLocation(patch));
        }
        using var put = await Http.PutAsync(WithQuery(location, "digest", Sha256(blob)), null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PATCH")]
    [InlineData("PUT")]
    [Trait("Requirement", "Push / upload session endpoints [end-5, end-6, end-13 404; BLOB_UPLOAD_UNKNOWN code-3]: an upload session the registry does not know answers 404")]
    public async Task Push_UnknownUploadSession_MustReturn404(string method)
    {
        var repository = NewRepository();
        await PushBlobAsync(repository, Bytes("make the repository exist"));
        var location = $"/v2/{repository}/blobs/uploads/{Guid.NewGuid():D}";
        var blob = RandomBytes(10);
        var request = method switch
        {
            "GET" => new HttpRequestMessage(HttpMethod.Get, location),
            "PATCH" => new HttpRequestMessage(HttpMethod.Patch, location) { Content = OctetStream(blob) },
            _ => new HttpRequestMessage(HttpMethod.Put, WithQuery(location, "digest", Sha256(blob))) { Content = OctetStream(blob) },
        };

        using var response = await Http.SendAsync(request);

        await SpecErrors.AssertAsync(response, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    [Trait("Requirement", "Push / upload session (spec main, end-14; not in v1.1): DELETE <location> cancels the session with 204, after which the session is unknown (404)")]
    public async Task Push_CancelUpload_Returns204AndSessionIsGone()
    {
        var repository = NewRepository();
        var location = await StartUploadAsync(repository);

        using var cancel = await DeleteAsync(location);
        using var status = await GetAsync(location);

        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
    }

    // ---- Mounting a blob from another repository ------------------------------------------

    [Fact]
    [Trait("Requirement", "Push / Mounting a blob [MUST]: a successful mount (?mount=<digest>&from=<other>) answers 201 Created with a Location where the blob can be pulled")]
    public async Task Push_MountFromRepositoryHoldingBlob_MustReturn201WithLocation()
    {
        var source = NewRepository();
        var target = NewRepository();
        var blob = RandomBytes(777);
        var digest = await PushBlobAsync(source, blob);

        using var mount = await Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={source}", null);

        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        var contentDigest = OptionalHeader(mount, "Docker-Content-Digest");
        Assert.True(contentDigest is null || contentDigest == digest, $"Docker-Content-Digest {contentDigest} is not {digest}");
        using var pulled = await GetAsync(PathOf(RequireLocation(mount)));
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(blob, await pulled.Content.ReadAsByteArrayAsync());
        using var inTarget = await GetAsync($"/v2/{target}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, inTarget.StatusCode);
    }

    [Theory]
    [InlineData("blob-not-in-source")]
    [InlineData("source-does-not-exist")]
    [Trait("Requirement", "Push / Mounting a blob [SHOULD]: a mount the registry cannot perform answers 202 Accepted, opening an upload session the client may use")]
    public async Task Push_MountThatCannotBePerformed_ShouldFallBackTo202UploadSession(string scenario)
    {
        var source = NewRepository();
        var target = NewRepository();
        var blob = RandomBytes(500);
        var digest = Sha256(blob);
        if (scenario == "blob-not-in-source")
        {
            await PushBlobAsync(source, RandomBytes(10));
        }

        using var mount = await Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={source}", null);

        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        using var put = await Http.PutAsync(WithQuery(PathOf(RequireLocation(mount)), "digest", digest), OctetStream(blob));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Push / Mounting a blob [MAY]: the registry may treat 'from' as optional and mount a blob it can find; Wharf does (201)")]
    public async Task Push_MountWithoutFrom_MayMountAutomatically()
    {
        var source = NewRepository();
        var target = NewRepository();
        var blob = RandomBytes(600);
        var digest = await PushBlobAsync(source, blob);

        using var mount = await Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}", null);

        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        using var pulled = await GetAsync($"/v2/{target}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(blob, await pulled.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("Requirement", "Push / Mounting a blob [SHOULD] (conformance suite): a mount without 'from' of a blob the registry does not hold answers 202 with an upload session")]
    public async Task Push_MountWithoutFromOfUnknownBlob_ShouldReturn202()
    {
        var target = NewRepository();

        using var mount = await Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={Sha256(RandomBytes(32))}", null);

        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        RequireLocation(mount);
    }

    // ---- Pushing manifests ----------------------------------------------------------------

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests [MUST]: a manifest PUT by tag answers 201 Created with a Location that is a pullable manifest URL")]
    public async Task Push_ManifestByTag_MustReturn201WithPullableLocation()
    {
        var repository = NewRepository();
        var json = await ImageManifestAsync(repository);

        using var put = await PutManifestAsync(repository, "v1", json);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var pulled = await GetAsync(PathOf(RequireLocation(put)));
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(Bytes(json), await pulled.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests [MUST]: a manifest PUT by digest answers 201 Created, and its Docker-Content-Digest equals the digest the client gave")]
    public async Task Push_ManifestByDigest_MustReturn201WithDockerContentDigestEqualToProvided()
    {
        var repository = NewRepository();
        var json = await ImageManifestAsync(repository);
        var digest = Sha256(json);

        using var put = await PutManifestAsync(repository, digest, json);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(digest, SingleHeader(put, "Docker-Content-Digest"));
        RequireLocation(put);
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests [MUST]: the Docker-Content-Digest must equal the client's digest, so a manifest PUT under a digest its bytes do not have is refused (400 DIGEST_INVALID)")]
    public async Task Push_ManifestByWrongDigest_MustBeRefusedWithDigestInvalid()
    {
        var repository = NewRepository();
        var json = await ImageManifestAsync(repository);
        var wrong = Sha256(json + " ");

        using var put = await PutManifestAsync(repository, wrong, json);

        await SpecErrors.AssertAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using var get = await GetAsync($"/v2/{repository}/manifests/{wrong}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests [MUST]: the registry stores the manifest in exactly the bytes the client sent")]
    public async Task Push_Manifest_MustBeStoredByteForByte()
    {
        var repository = NewRepository();
        var config = Bytes("{\"os\":\"linux\"}");
        var configDigest = await PushBlobAsync(repository, config);
        // Unusual but valid JSON: odd whitespace, key order, escapes and a trailing newline.
        var json = "{\n\t\"mediaType\" :  \"application/vnd.oci.image.manifest.v1+json\",\r\n  \"schemaVersion\":2,"
            + $"\"config\":{{ \"size\":{config.Length},\"digest\":\"{configDigest}\",\"mediaType\":\"application\\/vnd.oci.image.config.v1+json\"}},"
            + "\"layers\":[ ], \"annotations\":{\"x\":\"caf\\u00e9 \u00e9\"}}\n";

        using (var put = await PutManifestAsync(repository, "v1", json))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(Sha256(json), SingleHeader(put, "Docker-Content-Digest"));
        }
        using var get = await GetAsync($"/v2/{repository}/manifests/{Sha256(json)}");

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(Bytes(json), await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests [SHOULD]: the registry ignores parameters on the Content-Type of a manifest PUT")]
    public async Task Push_ManifestContentTypeParameters_ShouldBeIgnored()
    {
        var repository = NewRepository();
        var json = await ImageManifestAsync(repository);

        using var put = await PutManifestAsync(repository, "v1", Bytes(json), OciTypes.ImageManifest + "; charset=utf-8");

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var get = await GetAsync($"/v2/{repository}/manifests/v1");
        Assert.Equal(OciTypes.ImageManifest, get.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests [MAY]: the list of blobs a manifest references may be empty; such a manifest is accepted (201)")]
    public async Task Push_ManifestWithoutLayers_MustBeAccepted()
    {
        var repository = NewRepository();
        var json = await ImageManifestAsync(repository, withLayer: false);

        using var put = await PutManifestAsync(repository, "v1", json);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Push [MUST]: an otherwise valid manifest whose subject names a manifest not in the repository is accepted, so referrers and subject can be pushed in either order")]
    public async Task Push_ManifestWithSubjectThatDoesNotExist_MustBeAccepted()
    {
        var repository = NewRepository();
        var missingSubject = Sha256("a subject pushed later");

        var (_, digest) = await PushReferrerAsync(repository, missingSubject, "application/vnd.example.sbom");

        using var get = await GetAsync($"/v2/{repository}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests with subject [MUST]: a registry with the referrers API answers a PUT of an image manifest with a subject with OCI-Subject: <subject digest>")]
    public async Task Push_ManifestWithSubject_MustReturnOciSubjectHeader()
    {
        var repository = NewRepository();
        var (subjectJson, subject) = await PushImageAsync(repository, "v1");
        var configDigest = await PushEmptyConfigAsync(repository);
        var json = OciJson.Manifest(
            new OciJson.Desc(OciTypes.Empty, configDigest, 2), [],
            artifactType: "application/vnd.example.signature",
            subject: new OciJson.Desc(OciTypes.ImageManifest, subject, Encoding.UTF8.GetByteCount(subjectJson)));

        using var put = await PutManifestAsync(repository, Sha256(json), json);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(subject, SingleHeader(put, "OCI-Subject"));
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests with subject [MUST] (conformance suite also checks an index): a PUT of an index with a subject answers with OCI-Subject: <subject digest>")]
    public async Task Push_IndexWithSubject_MustReturnOciSubjectHeader()
    {
        var repository = NewRepository();
        var (subjectJson, subject) = await PushImageAsync(repository, "v1");
        var json = OciJson.Index([], artifactType: "application/vnd.example.bundle",
            subject: new OciJson.Desc(OciTypes.ImageManifest, subject, Encoding.UTF8.GetByteCount(subjectJson)));

        using var put = await PutManifestAsync(repository, Sha256(json), json, OciTypes.ImageIndex);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(subject, SingleHeader(put, "OCI-Subject"));
    }

    [Fact]
    [Trait("Requirement", "Push [MAY reject; if so MUST]: a manifest whose layer or config is not in the repository, when rejected, is rejected with MANIFEST_BLOB_UNKNOWN")]
    public async Task Push_ManifestReferencingUnknownBlob_MustBeRejectedWithManifestBlobUnknown()
    {
        var repository = NewRepository();
        var config = Bytes("{\"os\":\"linux\"}");
        var configDigest = await PushBlobAsync(repository, config);
        var json = OciJson.Manifest(new OciJson.Desc(OciTypes.ImageConfig, configDigest, config.Length),
            [new OciJson.Desc(OciTypes.Layer, Sha256("a layer never pushed"), 20)]);

        using var put = await PutManifestAsync(repository, "v1", json);

        Assert.True(put.StatusCode != HttpStatusCode.Created, "Wharf is expected to refuse a manifest with a missing layer");
        await SpecErrors.AssertAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    [Trait("Requirement", "Push [MAY]: a registry may accept an index whose child manifests it does not hold (Wharf's default: sparse indexes are accepted)")]
    public async Task Push_IndexWithUnknownChildManifest_MayBeAccepted()
    {
        var repository = NewRepository();
        var json = OciJson.Index([new OciJson.Desc(OciTypes.ImageManifest, Sha256("a child never pushed"), 500)]);

        using var put = await PutManifestAsync(repository, "v1", json, OciTypes.ImageIndex);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Push [MAY reject; if so MUST]: an index rejected because a child manifest is unknown is rejected with MANIFEST_BLOB_UNKNOWN (Manifests:RequireIndexChildren=true)")]
    public async Task Push_IndexWithUnknownChildWhenRejected_MustUseManifestBlobUnknown()
    {
        var strict = new RegistryClient(_indexChildrenRequired.Factory.CreateClient());
        var repository = NewRepository();
        var json = OciJson.Index([new OciJson.Desc(OciTypes.ImageManifest, Sha256("a child never pushed"), 500)]);

        using var put = await strict.PutManifestAsync(repository, "v1", json, OciTypes.ImageIndex);

        await SpecErrors.AssertAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests [SHOULD]: registries support manifest pushes of at least 4 megabytes (4 MiB here)")]
    public async Task Push_ManifestOf4MiB_ShouldBeAccepted()
    {
        var repository = NewRepository();
        var json = await PaddedManifestAsync(repository, 4 * 1024 * 1024);

        using var put = await PutManifestAsync(repository, "big", json);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var get = await GetAsync($"/v2/{repository}/manifests/big");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(Sha256(json), Sha256(await get.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests [SHOULD]: a registry enforcing a manifest size limit answers a larger push with 413 Payload Too Large")]
    public async Task Push_ManifestOverSizeLimit_ShouldReturn413()
    {
        var repository = NewRepository();
        var json = await PaddedManifestAsync(repository, 4 * 1024 * 1024 + 1);

        using var put = await PutManifestAsync(repository, "too-big", json);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);
        await SpecErrors.ValidateAsync(put);
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests [MUST]: pulling from a repository that does not exist answers 404 Not Found")]
    public async Task Push_PullFromNonexistentRepository_MustReturn404()
    {
        var repository = NewRepository("never-pushed");

        using var byTag = await GetAsync($"/v2/{repository}/manifests/latest");
        using var byDigest = await GetAsync($"/v2/{repository}/manifests/{Sha256("x")}");
        using var blob = await GetAsync($"/v2/{repository}/blobs/{Sha256("x")}");

        Assert.Equal(HttpStatusCode.NotFound, byTag.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byDigest.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, blob.StatusCode);
    }

    // ---- helpers ----------------------------------------------------------------------------

    private async Task<string> ImageManifestAsync(string repository, bool withLayer = true)
    {
        var config = Bytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":\"{Guid.NewGuid():N}\"}}");
        var configDigest = await PushBlobAsync(repository, config);
        var layers = new List<OciJson.Desc>();
        if (withLayer)
        {
            var layer = RandomBytes(128);
            layers.Add(new OciJson.Desc(OciTypes.Layer, await PushBlobAsync(repository, layer), layer.Length));
        }
        return OciJson.Manifest(new OciJson.Desc(OciTypes.ImageConfig, configDigest, config.Length), layers);
    }

    /// <summary>A valid image manifest padded with an annotation to exactly <paramref name="size"/> bytes.</summary>
    private async Task<string> PaddedManifestAsync(string repository, int size)
    {
        var config = Bytes("{\"os\":\"linux\"}");
        var configDigest = await PushBlobAsync(repository, config);
        string Build(int padding) => OciJson.Manifest(new OciJson.Desc(OciTypes.ImageConfig, configDigest, config.Length), [],
            annotations: new Dictionary<string, string> { ["org.example.padding"] = new('p', padding) });
        var json = Build(size - Encoding.UTF8.GetByteCount(Build(0)));
        Assert.Equal(size, Encoding.UTF8.GetByteCount(json));
        return json;
    }
}
