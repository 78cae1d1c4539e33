namespace Wharf.Tests.Hostile;

/// <summary>
/// Path tricks in repository names, tags and upload ids, written on the socket exactly as given
/// (plain, percent-encoded, double-encoded, backslashes, NULs), and names and tags over their
/// length limits. Each gets its error; nothing on disk or in the metadata changes.
/// </summary>
public sealed class HostilePathTests(HostileRegistryFixture registry) : IClassFixture<HostileRegistryFixture>
{
    private static readonly byte[] Body = Hostile.Utf8("hostile bytes");
    private static readonly string BodyDigest = Wharf.Tests.Api.RegistryClient.DigestOf(Body);

    private async Task AssertRefusedAsync(string method, string target, int status, string? code, byte[]? body = null, (string, string)[]? headers = null)
    {
        var before = await registry.StateAsync();

        var response = await RawHttp.SendAsync(registry.Server, method, target, body, headers);

        Hostile.AssertRefused(response, status, code, $"{method} {target}");
        before.AssertSame(await registry.StateAsync(), $"{method} {target}");
    }

    // Names. Kestrel decodes the path (all but %2F) and removes dot segments before Wharf sees it;
    // what is left of a trick must still be refused.
    [Theory]
    [InlineData("GET", "/v2/../../etc/passwd/manifests/latest", 404, "UNSUPPORTED")]
    [InlineData("GET", "/v2/seed/../../../etc/manifests/latest", 404, "UNSUPPORTED")]
    [InlineData("GET", "/v2/%2e%2e/%2e%2e/etc/manifests/latest", 404, "UNSUPPORTED")]
    [InlineData("GET", "/v2/%2E%2E/%2E%2E/etc/tags/list", 404, "UNSUPPORTED")]
    [InlineData("GET", "/v2/..%2f..%2fetc/manifests/latest", 400, "NAME_INVALID")]
    [InlineData("GET", "/v2/seed%2f..%2f..%2fetc/tags/list", 400, "NAME_INVALID")]
    [InlineData("GET", "/v2/%252e%252e/%252e%252e/etc/manifests/latest", 400, "NAME_INVALID")]
    [InlineData("GET", "/v2/%25252e%25252e/etc/manifests/latest", 400, "NAME_INVALID")]
    [InlineData("GET", "/v2/a%5c..%5c..%5cetc/manifests/latest", 400, "NAME_INVALID")]
    [InlineData("GET", "/v2/a\\..\\..\\etc/manifests/latest", 400, "NAME_INVALID")]
    [InlineData("GET", "/v2/a%00b/manifests/latest", 400, null)]            // Kestrel refuses a NUL itself
    [InlineData("GET", "/v2/a%c3%28/manifests/latest", 400, "NAME_INVALID")]
    [InlineData("GET", "/v2/a%e2%80%aeb/manifests/latest", 400, "NAME_INVALID")]
    [InlineData("GET", "/v2/seed/_uploads/manifests/latest", 400, "NAME_INVALID")]
    [InlineData("GET", "/v2/seed/app/_uploads/x/tags/list", 400, "NAME_INVALID")]
    [InlineData("GET", "/v2//seed/app/tags/list", 400, "NAME_INVALID")]
    [InlineData("POST", "/v2/..%2f..%2ftmp/blobs/uploads/", 400, "NAME_INVALID")]
    [InlineData("POST", "/v2/%2e%2e%2f%2e%2e%2ftmp/blobs/uploads/", 400, "NAME_INVALID")]
    [InlineData("POST", "/v2/a%5c..%5c..%5ctmp/blobs/uploads/", 400, "NAME_INVALID")]
    [InlineData("PUT", "/v2/..%2f..%2fetc/manifests/v1", 400, "NAME_INVALID")]
    [InlineData("PUT", "/v2/a%00/manifests/v1", 400, null)]
    public async Task AnyMethod_PathTrickInName_RefusedAndNothingChanges(string method, string target, int status, string? code)
    {
        await AssertRefusedAsync(method, target, status, code, method == "PUT" ? Hostile.Utf8(Hostile.ValidManifest()) : Body,
            method == "PUT" ? [("Content-Type", Wharf.Tests.Api.Manifests.OciManifestType)] : null);
    }

    [Theory]
    [InlineData("POST", "/v2/..%2f..%2ftmp/blobs/uploads/?digest={0}")]
    [InlineData("POST", "/v2/%252e%252e/tmp/blobs/uploads/?digest={0}")]
    [InlineData("POST", "/v2/a%5c..%5ctmp/blobs/uploads/?digest={0}")]
    public async Task PostMonolithic_PathTrickInName_Returns400NameInvalid(string method, string target)
    {
        await AssertRefusedAsync(method, string.Format(System.Globalization.CultureInfo.InvariantCulture, target, BodyDigest), 400, "NAME_INVALID", Body);
    }

    [Theory]
    [InlineData("GET", "/v2/a%00/tags/list")]
    [InlineData("POST", "/v2/a%00/blobs/uploads/?digest={0}")]
    [InlineData("PUT", "/v2/seed/app/manifests/v1%00")]
    [InlineData("PATCH", "/v2/seed/app/blobs/uploads/x%00")]
    [InlineData("GET", "/v2/seed/app/blobs/sha256:%00")]
    public async Task AnyMethod_PercentEncodedNul_RefusedByKestrelWith400(string method, string target)
    {
        // Kestrel refuses a NUL in the path before Wharf sees the request: 400, empty body.
        await AssertRefusedAsync(method, string.Format(System.Globalization.CultureInfo.InvariantCulture, target, BodyDigest), 400, null, method == "GET" ? null : Body);
    }

    // Tags: the reference of a manifest URL.
    [Theory]
    [InlineData("/v2/seed/app/manifests/..%2f..%2f..%2fblobs", 400, "TAG_INVALID")]
    [InlineData("/v2/seed/app/manifests/%252e%252e", 400, "TAG_INVALID")]
    [InlineData("/v2/seed/app/manifests/...", 400, "TAG_INVALID")]
    [InlineData("/v2/seed/app/manifests/.hidden", 400, "TAG_INVALID")]
    [InlineData("/v2/seed/app/manifests/-v1", 400, "TAG_INVALID")]
    [InlineData("/v2/seed/app/manifests/v1%5c..%5cv2", 400, "TAG_INVALID")]
    [InlineData("/v2/seed/app/manifests/v1\\..\\v2", 400, "TAG_INVALID")]
    [InlineData("/v2/seed/app/manifests/v1%0d%0aX-Injected%20yes", 400, "TAG_INVALID")]
    [InlineData("/v2/seed/app/manifests/v1%0d%0aX-Injected:%20yes", 400, "DIGEST_INVALID")]   // a colon makes it a digest
    [InlineData("/v2/seed/app/manifests/v%c3%a9", 400, "TAG_INVALID")]
    [InlineData("/v2/seed/app/manifests/%2e%2e", 404, "UNSUPPORTED")]
    public async Task PutManifest_PathTrickInTag_RefusedAndNothingChanges(string target, int status, string code)
    {
        await AssertRefusedAsync("PUT", target, status, code, Hostile.Utf8(Hostile.ValidManifest()), [("Content-Type", Wharf.Tests.Api.Manifests.OciManifestType)]);
        var response = await RawHttp.SendAsync(registry.Server, "PUT", target, Hostile.Utf8(Hostile.ValidManifest()), [("Content-Type", Wharf.Tests.Api.Manifests.OciManifestType)]);
        Assert.Null(response.Header("X-Injected"));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task GetOrDeleteManifest_PathTrickInTag_Returns404ManifestUnknown(string method)
    {
        // Neither a tag nor a digest: no such manifest can exist (the OCI conformance suite asks for 404).
        await AssertRefusedAsync(method, "/v2/seed/app/manifests/..%2fv1", 404, "MANIFEST_UNKNOWN");
    }

    // Upload ids.
    [Theory]
    [InlineData("PATCH", "/v2/seed/app/blobs/uploads/..%2f..%2f..%2fblobs%2fsha256", 404, "BLOB_UPLOAD_UNKNOWN")]
    [InlineData("PATCH", "/v2/seed/app/blobs/uploads/%252e%252e%252f%252e%252e", 404, "BLOB_UPLOAD_UNKNOWN")]
    [InlineData("PATCH", "/v2/seed/app/blobs/uploads/..%5c..%5cx", 404, "BLOB_UPLOAD_UNKNOWN")]
    [InlineData("PATCH", "/v2/seed/app/blobs/uploads/..\\..\\x", 404, "BLOB_UPLOAD_UNKNOWN")]
    [InlineData("PATCH", "/v2/seed/app/blobs/uploads/%2e%2e", 404, "UNSUPPORTED")]
    [InlineData("GET", "/v2/seed/app/blobs/uploads/..%2f..%2f_uploads", 404, "BLOB_UPLOAD_UNKNOWN")]
    [InlineData("DELETE", "/v2/seed/app/blobs/uploads/..%2f..%2f..", 404, "BLOB_UPLOAD_UNKNOWN")]
    [InlineData("PUT", "/v2/seed/app/blobs/uploads/..%2f..%2fx?digest={digest}", 404, "BLOB_UPLOAD_UNKNOWN")]
    public async Task UploadSession_PathTrickInUploadId_RefusedAndNothingChanges(string method, string target, int status, string code)
    {
        await AssertRefusedAsync(method, target.Replace("{digest}", BodyDigest, StringComparison.Ordinal), status, code, method is "PATCH" or "PUT" ? Body : null);
    }

    [Fact]
    public async Task PatchUpload_UppercaseFormOfRealId_Returns404BlobUploadUnknown()
    {
        await AssertRefusedAsync("PATCH", registry.SeedUpload.ToUpperInvariant().Replace("/V2/SEED/APP/BLOBS/UPLOADS/", "/v2/seed/app/blobs/uploads/", StringComparison.Ordinal), 404, "BLOB_UPLOAD_UNKNOWN", Body);
    }

    [Fact]
    public async Task PatchUpload_RealIdUnderAnotherRepository_Returns404BlobUploadUnknown()
    {
        await AssertRefusedAsync("PATCH", $"/v2/other/app/blobs/uploads/{registry.SeedUploadId}", 404, "BLOB_UPLOAD_UNKNOWN", Body);
    }

    [Fact]
    public async Task PutUpload_RealIdUnderAnotherRepository_Returns404BlobUploadUnknown()
    {
        await AssertRefusedAsync("PUT", $"/v2/other/app/blobs/uploads/{registry.SeedUploadId}?digest={BodyDigest}", 404, "BLOB_UPLOAD_UNKNOWN", Body);
    }

    [Fact]
    public async Task PatchUpload_VeryLongId_Returns404WithClippedDetail()
    {
        await AssertRefusedAsync("PATCH", "/v2/seed/app/blobs/uploads/" + new string('a', 6000), 404, "BLOB_UPLOAD_UNKNOWN", Body);
    }

    // Lengths.
    [Theory]
    [InlineData(256)]
    [InlineData(1000)]
    [InlineData(6000)]
    public async Task AnyMethod_NameLongerThan255_Returns400NameInvalid(int length)
    {
        var name = string.Join('/', Enumerable.Range(0, (length / 50) + 1).Select(_ => new string('a', 49)))[..length].TrimEnd('/');
        name = name.Length < length ? name + new string('b', length - name.Length) : name;
        Assert.Equal(length, name.Length);

        await AssertRefusedAsync("GET", $"/v2/{name}/tags/list", 400, "NAME_INVALID");
        await AssertRefusedAsync("POST", $"/v2/{name}/blobs/uploads/", 400, "NAME_INVALID", Body);
        await AssertRefusedAsync("POST", $"/v2/{name}/blobs/uploads/?digest={BodyDigest}", 400, "NAME_INVALID", Body);
        await AssertRefusedAsync("PUT", $"/v2/{name}/manifests/v1", 400, "NAME_INVALID", Hostile.Utf8(Hostile.ValidManifest()), [("Content-Type", Wharf.Tests.Api.Manifests.OciManifestType)]);
    }

    [Fact]
    public async Task Get_Name255Long_IsValidButUnknown()
    {
        // The control: 255 characters is the limit, not over it.
        var name = string.Join('/', Enumerable.Repeat(new string('a', 50), 4)) + "/" + new string('b', 51);
        Assert.Equal(255, name.Length);

        var response = await RawHttp.SendAsync(registry.Server, "GET", $"/v2/{name}/tags/list");

        Hostile.AssertRefused(response, 404, "NAME_UNKNOWN", name);
    }

    [Theory]
    [InlineData(129)]
    [InlineData(1000)]
    [InlineData(6000)]
    public async Task PutManifest_TagLongerThan128_Returns400TagInvalid(int length)
    {
        await AssertRefusedAsync("PUT", $"/v2/seed/app/manifests/{new string('t', length)}", 400, "TAG_INVALID",
            Hostile.Utf8(Hostile.ValidManifest()), [("Content-Type", Wharf.Tests.Api.Manifests.OciManifestType)]);
    }

    [Fact]
    public async Task Get_RequestLineOverKestrelLimit_Returns414()
    {
        // Beyond Kestrel's request-line limit (8 KiB) the server itself answers, before Wharf.
        await AssertRefusedAsync("GET", $"/v2/{new string('a', 9000)}/tags/list", 414, null);
    }
}
