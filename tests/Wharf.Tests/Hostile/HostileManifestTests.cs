using System.Diagnostics;
using System.Text;
using Wharf.Tests.Api;

namespace Wharf.Tests.Hostile;

/// <summary>
/// Manifests built to hurt: too large (with and without Content-Length), nested 10,000 deep, with
/// tens of thousands of layers that do not exist, referencing blobs of another repository,
/// garbage and invalid UTF-8, and Content-Types that lie.
/// </summary>
public sealed class HostileManifestTests(HostileRegistryFixture registry) : IClassFixture<HostileRegistryFixture>
{
    private async Task<RawResponse> AssertRefusedAsync(string what, byte[] body, int status, string code, string? contentType = Wharf.Tests.Api.Manifests.OciManifestType, bool chunked = false, long? contentLength = null, string? target = null)
    {
        // A tag of its own: a manifest wrongly accepted by one test must not confuse another.
        target ??= $"/v2/seed/app/manifests/hostile-{Guid.NewGuid():N}";
        var before = await registry.StateAsync();

        var response = await RawHttp.SendAsync(registry.Server, "PUT", target, body,
            contentType is null ? [] : [("Content-Type", contentType)], chunked, contentLength);

        Hostile.AssertRefused(response, status, code, what);
        before.AssertSame(await registry.StateAsync(), what);
        var tag = await RawHttp.SendAsync(registry.Server, "GET", target);
        Assert.Equal(404, tag.Status);
        return response;
    }

    private static string Layer(string digest, string mediaType = "application/vnd.oci.image.layer.v1.tar+gzip") =>
        $"{{\"mediaType\":\"{mediaType}\",\"digest\":\"{digest}\",\"size\":1}}";

    private static string ManifestWithLayers(IEnumerable<string> layers)
    {
        var config = $"{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:{new string('c', 64)}\",\"size\":2}}";
        return $"{{\"schemaVersion\":2,\"mediaType\":\"{Wharf.Tests.Api.Manifests.OciManifestType}\",\"config\":{config},\"layers\":[{string.Join(',', layers)}]}}";
    }

    private static string Digest(int i) => "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));

    [Fact]
    public async Task PutManifest_LargerThan4MiBWithContentLength_Returns413ManifestInvalid()
    {
        var body = Hostile.Utf8(ManifestWithLayers(Enumerable.Range(0, 40_000).Select(i => Layer(Digest(i)))));
        Assert.True(body.Length > 4 * 1024 * 1024);

        await AssertRefusedAsync("4+ MiB manifest with Content-Length", body, 413, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task PutManifest_LargerThan4MiBChunked_Returns413ManifestInvalid()
    {
        var body = Hostile.Utf8(ManifestWithLayers(Enumerable.Range(0, 40_000).Select(i => Layer(Digest(i)))));

        await AssertRefusedAsync("4+ MiB manifest, chunked", body, 413, "MANIFEST_INVALID", chunked: true);
    }

    [Fact]
    public async Task PutManifest_ContentLengthClaims100MB_Returns413BeforeReadingBody()
    {
        var clock = Stopwatch.StartNew();

        await AssertRefusedAsync("Content-Length: 100000000 with a 2-byte body", "{}"u8.ToArray(), 413, "MANIFEST_INVALID", contentLength: 100_000_000);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task PutManifest_ExactlyAtLimitButInvalid_Returns400NotTooLarge()
    {
        // 4 MiB exactly is allowed in size; it is refused for what it is.
        var body = new byte[4 * 1024 * 1024];
        Array.Fill(body, (byte)' ');
        "{}"u8.CopyTo(body);

        await AssertRefusedAsync("4 MiB of {} and spaces", body, 400, "MANIFEST_INVALID");
    }

    [Theory]
    [InlineData("array", 10_000)]
    [InlineData("object", 10_000)]
    [InlineData("array", 65)]
    public async Task PutManifest_DeeplyNested_Returns400ManifestInvalid(string kind, int depth)
    {
        var nested = kind == "array"
            ? new string('[', depth) + new string(']', depth)
            : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
        var body = Hostile.Utf8($"{{\"schemaVersion\":2,\"mediaType\":\"{Wharf.Tests.Api.Manifests.OciManifestType}\",\"annotations\":{{\"x\":{nested}}}}}");

        await AssertRefusedAsync($"{kind} nested {depth} deep", body, 400, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task PutManifest_DeeplyNestedAtTopLevel_Returns400ManifestInvalid()
    {
        await AssertRefusedAsync("10,000 nested arrays", Hostile.Utf8(new string('[', 10_000) + new string(']', 10_000)), 400, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task PutManifest_100000LayersOfMissingBlobs_RefusedQuicklyWithoutServerError()
    {
        // 100,000 descriptors cannot fit in 4 MiB: refused for size before anything is looked up.
        var body = Hostile.Utf8(ManifestWithLayers(Enumerable.Range(0, 100_000).Select(i => Layer(Digest(i)))));
        var clock = Stopwatch.StartNew();

        await AssertRefusedAsync("100,000 missing layers", body, 413, "MANIFEST_INVALID");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task PutManifest_25000LayersOfMissingBlobsUnder4MiB_Returns400ManifestBlobUnknownQuickly()
    {
        var body = Hostile.Utf8(ManifestWithLayers(Enumerable.Range(0, 25_000).Select(i => Layer(Digest(i)))));
        Assert.True(body.Length < 4 * 1024 * 1024, $"{body.Length} bytes");
        var clock = Stopwatch.StartNew();

        var response = await AssertRefusedAsync("25,000 missing layers", body, 400, "MANIFEST_BLOB_UNKNOWN");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.True(response.Body.Length < 1024, response.Body);
    }

    [Fact]
    public async Task PutManifest_SameMissingLayer35000Times_Returns400ManifestBlobUnknown()
    {
        var body = Hostile.Utf8(ManifestWithLayers(Enumerable.Repeat(Layer(Digest(1), "a/b"), 35_000)));
        Assert.True(body.Length < 4 * 1024 * 1024, $"{body.Length} bytes");

        await AssertRefusedAsync("one missing layer 35,000 times", body, 400, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    public async Task PutManifest_BlobsOfAnotherRepository_Returns400ManifestBlobUnknown()
    {
        // seed/app holds the seed image's config and layer; other/app has neither linked.
        await AssertRefusedAsync("manifest naming seed/app's blobs in other/app", Hostile.Utf8(Hostile.ValidManifest()), 400, "MANIFEST_BLOB_UNKNOWN",
            target: "/v2/other/app/manifests/stolen");
    }

    [Fact]
    public async Task PutIndex_ManyMissingChildren_IsSparseIndexNotServerError()
    {
        // By default an index may list manifests the repository lacks (a sparse mirror); a huge
        // one must still be answered properly, without a 500.
        var children = string.Join(',', Enumerable.Range(0, 20_000).Select(i =>
            $"{{\"mediaType\":\"{Wharf.Tests.Api.Manifests.OciManifestType}\",\"digest\":\"{Digest(i)}\",\"size\":1}}"));
        var body = Hostile.Utf8($"{{\"schemaVersion\":2,\"mediaType\":\"{Wharf.Tests.Api.Manifests.OciIndexType}\",\"manifests\":[{children}]}}");
        var clock = Stopwatch.StartNew();

        var response = await RawHttp.SendAsync(registry.Server, "PUT", $"/v2/index/r{Guid.NewGuid():N}/manifests/sparse", body, [("Content-Type", Wharf.Tests.Api.Manifests.OciIndexType)]);

        Assert.Equal(201, response.Status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    public static TheoryData<string, byte[]> GarbageBodies
    {
        get
        {
            var random = new byte[4096];
            new Random(42).NextBytes(random);
            var manifest = Hostile.ValidManifest();
            return new TheoryData<string, byte[]>
            {
                { "random bytes", random },
                { "empty", [] },
                { "null", "null"u8.ToArray() },
                { "array", "[]"u8.ToArray() },
                { "string", "\"manifest\""u8.ToArray() },
                { "truncated", Hostile.Utf8(manifest[..(manifest.Length / 2)]) },
                { "trailing garbage", Hostile.Utf8(manifest + "garbage") },
                { "two documents", Hostile.Utf8(manifest + manifest) },
                { "UTF-16", Encoding.Unicode.GetBytes(manifest) },
                { "UTF-32", Encoding.UTF32.GetBytes(manifest) },
                { "NUL bytes", [.. Hostile.Utf8(manifest[..20]), 0, 0, 0, .. Hostile.Utf8(manifest[20..])] },
                { "invalid UTF-8 in mediaType", Replace(manifest, "application/vnd.oci.image.manifest.v1+json\",\"config", [0x61, 0xC3, 0x28, 0x22, 0x2C, 0x22, 0x63, 0x6F, 0x6E, 0x66, 0x69, 0x67]) },
                { "invalid UTF-8 in a digest", Replace(manifest, "\"digest\":\"sha256:", [0x22, 0x64, 0x69, 0x67, 0x65, 0x73, 0x74, 0x22, 0x3A, 0x22, 0xFF, 0xFE]) },
                { "overlong UTF-8 slash", Replace(manifest, "\"schemaVersion\"", [0x22, 0x73, 0xC0, 0xAF, 0x22, 0x3A, 0x31, 0x2C, 0x22, 0x73, 0x63, 0x68, 0x65, 0x6D, 0x61, 0x56, 0x65, 0x72, 0x73, 0x69, 0x6F, 0x6E, 0x22]) },
                { "lone surrogate escape in mediaType", Hostile.Utf8(manifest.Replace("\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"", "\"mediaType\":\"\\ud800\"", StringComparison.Ordinal)) },
                { "size as huge number", Hostile.Utf8(manifest.Replace("\"size\":", "\"size\":1e400,\"x\":", StringComparison.Ordinal)) },
                { "negative size", Hostile.Utf8(ReplaceFirstSize(manifest, "-1")) },
                { "fractional size", Hostile.Utf8(ReplaceFirstSize(manifest, "1.5")) },
                { "schemaVersion 1", Hostile.Utf8(manifest.Replace("\"schemaVersion\":2", "\"schemaVersion\":1", StringComparison.Ordinal)) },
                { "schemaVersion huge", Hostile.Utf8(manifest.Replace("\"schemaVersion\":2", "\"schemaVersion\":99999999999999999999", StringComparison.Ordinal)) },
                { "config not an object", Hostile.Utf8("{\"schemaVersion\":2,\"mediaType\":\"" + Wharf.Tests.Api.Manifests.OciManifestType + "\",\"config\":\"../../etc/passwd\",\"layers\":[]}") },
                { "layer digest traversal", Hostile.Utf8(manifest.Replace("\"digest\":\"sha256:", "\"digest\":\"sha256:../../../", StringComparison.Ordinal)) },
            };
        }
    }

    private static byte[] Replace(string manifest, string what, byte[] with)
    {
        var index = manifest.IndexOf(what, StringComparison.Ordinal);
        Assert.True(index >= 0, what);
        return [.. Hostile.Utf8(manifest[..index]), .. with, .. Hostile.Utf8(manifest[(index + what.Length)..])];
    }

    private static string ReplaceFirstSize(string manifest, string value)
    {
        var index = manifest.IndexOf("\"size\":", StringComparison.Ordinal) + "\"size\":".Length;
        var end = index;
        while (char.IsAsciiDigit(manifest[end]))
        {
            end++;
        }
        return manifest[..index] + value + manifest[end..];
    }

    [Theory]
    [MemberData(nameof(GarbageBodies))]
    public async Task PutManifest_GarbageOrInvalidUtf8_Returns400ManifestInvalid(string kind, byte[] body)
    {
        await AssertRefusedAsync(kind, body, 400, "MANIFEST_INVALID");
    }

    [Fact]
    public async Task PutManifest_InvalidUtf8InAnIgnoredField_Returns400ManifestInvalid()
    {
        // JSON must be UTF-8 (RFC 8259); bytes that are not cannot be stored as a manifest, even
        // where the registry itself never reads them.
        var manifest = Hostile.ValidManifest();
        var body = Replace(manifest, "{\"schemaVersion\"", [.. "{\"x-junk\":\""u8.ToArray(), 0xC3, 0x28, 0xFF, .. "\",\"schemaVersion\""u8.ToArray()]);

        await AssertRefusedAsync("invalid UTF-8 in an unknown field", body, 400, "MANIFEST_INVALID");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/vnd.docker.distribution.manifest.v2+json")]
    [InlineData("application/vnd.oci.image.index.v1+json")]
    [InlineData("application/vnd.docker.distribution.manifest.v1+prettyjws")]
    [InlineData("application/vnd.docker.distribution.manifest.v1+json")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/vnd.oci.image.layer.v1.tar+gzip")]
    [InlineData("../../etc/passwd")]
    public async Task PutManifest_ContentTypeNotMatchingTheManifest_Returns400ManifestInvalid(string contentType)
    {
        await AssertRefusedAsync($"Content-Type {contentType}", Hostile.Utf8(Hostile.ValidManifest()), 400, "MANIFEST_INVALID", contentType);
    }

    [Fact]
    public async Task PutManifest_HugeContentType_Returns400WithClippedDetail()
    {
        var response = await AssertRefusedAsync("a 20,000-character Content-Type", Hostile.Utf8(Hostile.ValidManifest()), 400, "MANIFEST_INVALID", "application/" + new string('x', 20_000));

        Assert.True(response.Body.Length < 1024, $"{response.Body.Length}-byte body");
    }

    [Fact]
    public async Task PutManifest_NoContentTypeAndNoMediaType_Returns400ManifestInvalid()
    {
        var manifest = Hostile.ValidManifest().Replace($"\"mediaType\":\"{Wharf.Tests.Api.Manifests.OciManifestType}\",", "", StringComparison.Ordinal);

        await AssertRefusedAsync("no media type anywhere", Hostile.Utf8(manifest), 400, "MANIFEST_INVALID", contentType: null);
    }
}
