using Wharf.Tests.Api;

namespace Wharf.Tests.Hostile;

/// <summary>Digests of unknown algorithms, wrong lengths, uppercase hex, and path tricks, wherever
/// a digest is taken: blob URLs, uploads, mounts, manifest references.</summary>
public sealed class HostileDigestTests(HostileRegistryFixture registry) : IClassFixture<HostileRegistryFixture>
{
    private static readonly byte[] Body = Hostile.Utf8("hostile blob bytes");
    private static readonly string Hex64 = RegistryClient.DigestOf(Body)[7..];

    public static TheoryData<string, string> InvalidDigests => new()
    {
        { "md5", "md5:" + new string('a', 32) },
        { "sha1", "sha1:" + new string('a', 40) },
        { "sha384", "sha384:" + new string('a', 96) },
        { "sha256 63 hex", "sha256:" + Hex64[..63] },
        { "sha256 65 hex", "sha256:" + Hex64 + "a" },
        { "sha256 uppercase", "sha256:" + Hex64.ToUpperInvariant() },
        { "SHA256 algorithm", "SHA256:" + Hex64 },
        { "sha512 127 hex", "sha512:" + new string('a', 127) },
        { "sha256 non-hex", "sha256:" + new string('g', 64) },
        { "sha256 empty", "sha256:" },
        { "no algorithm", ":" + Hex64 },
        { "no colon", "sha256" + Hex64 },
        { "hex only", Hex64 },
        { "traversal", "sha256:..%2f..%2f..%2f..%2fetc%2fpasswd" },
        { "traversal padded", "sha256:" + "..%2f" + Hex64[5..] },
        { "plus algorithm", "sha256+b64u:" + Hex64 },
        { "space", "sha256:%20" + Hex64[1..] },
        { "huge", "sha256:" + new string('a', 5000) },
    };

    private async Task AssertRefusedAsync(string method, string target, int status, string code, byte[]? body = null, (string, string)[]? headers = null)
    {
        var before = await registry.StateAsync();

        var response = await RawHttp.SendAsync(registry.Server, method, target, body, headers);

        Hostile.AssertRefused(response, status, code, $"{method} {target}");
        before.AssertSame(await registry.StateAsync(), $"{method} {target}");
    }

    [Theory]
    [MemberData(nameof(InvalidDigests))]
    public async Task PostMonolithicUpload_InvalidDigest_Returns400DigestInvalid(string kind, string digest)
    {
        Assert.NotNull(kind);
        await AssertRefusedAsync("POST", $"/v2/seed/app/blobs/uploads/?digest={digest}", 400, "DIGEST_INVALID", Body);
    }

    [Theory]
    [MemberData(nameof(InvalidDigests))]
    public async Task GetBlob_InvalidDigest_Returns400DigestInvalid(string kind, string digest)
    {
        Assert.NotNull(kind);
        await AssertRefusedAsync("GET", $"/v2/seed/app/blobs/{digest}", 400, "DIGEST_INVALID");
        await AssertRefusedAsync("DELETE", $"/v2/seed/app/blobs/{digest}", 400, "DIGEST_INVALID");
    }

    [Theory]
    [MemberData(nameof(InvalidDigests))]
    public async Task PostMount_InvalidDigest_Returns400DigestInvalid(string kind, string digest)
    {
        Assert.NotNull(kind);
        await AssertRefusedAsync("POST", $"/v2/other/app/blobs/uploads/?mount={digest}&from=seed/app", 400, "DIGEST_INVALID");
    }

    [Theory]
    [MemberData(nameof(InvalidDigests))]
    public async Task PutUploadComplete_InvalidDigest_Returns400DigestInvalidAndSessionKept(string kind, string digest)
    {
        Assert.NotNull(kind);
        await AssertRefusedAsync("PUT", $"{registry.SeedUpload}?digest={digest}", 400, "DIGEST_INVALID", Body);
        var status = await RawHttp.SendAsync(registry.Server, "GET", registry.SeedUpload);
        Assert.Equal(204, status.Status);
        Assert.Equal("0-9", status.Header("Range"));
    }

    [Theory]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("sha384:38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b")]
    [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    public async Task PutManifest_InvalidDigestReference_Returns400DigestInvalid(string digest)
    {
        await AssertRefusedAsync("PUT", $"/v2/seed/app/manifests/{digest}", 400, "DIGEST_INVALID",
            Hostile.Utf8(Hostile.ValidManifest()), [("Content-Type", Wharf.Tests.Api.Manifests.OciManifestType)]);
    }

    [Theory]
    [InlineData("POST", "/v2/seed/app/blobs/uploads/?digest=sha256:{0}%00")]
    [InlineData("POST", "/v2/other/app/blobs/uploads/?mount=sha256:{0}%00&from=seed/app")]
    public async Task Post_NulInDigestQuery_Returns400DigestInvalid(string method, string target)
    {
        await AssertRefusedAsync(method, string.Format(System.Globalization.CultureInfo.InvariantCulture, target, Hex64), 400, "DIGEST_INVALID", Body);
    }

    [Fact]
    public async Task PutManifest_ByDigestThatDoesNotMatchBody_Returns400DigestInvalid()
    {
        await AssertRefusedAsync("PUT", $"/v2/seed/app/manifests/sha256:{new string('0', 64)}", 400, "DIGEST_INVALID",
            Hostile.Utf8(Hostile.ValidManifest()), [("Content-Type", Wharf.Tests.Api.Manifests.OciManifestType)]);
    }

    [Fact]
    public async Task PostMonolithicUpload_DigestDoesNotMatchBody_Returns400DigestInvalid()
    {
        await AssertRefusedAsync("POST", $"/v2/seed/app/blobs/uploads/?digest=sha256:{new string('0', 64)}", 400, "DIGEST_INVALID", Body);
    }

    [Fact]
    public async Task PostMonolithicUpload_DigestMismatchInNewRepository_LeavesNoDirectoriesBehind()
    {
        // Nothing on disk may change: not even an empty _uploads directory for a repository that
        // was never created.
        var repository = $"ghost/r{Guid.NewGuid():N}";
        var directory = Path.Combine(registry.Factory.StorageRoot, "docker", "registry", "v2", "repositories", "ghost");

        await AssertRefusedAsync("POST", $"/v2/{repository}/blobs/uploads/?digest=sha256:{new string('0', 64)}", 400, "DIGEST_INVALID", Body);

        Assert.False(Directory.Exists(directory), $"{directory} was left behind: {string.Join(", ", Directory.Exists(directory) ? Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories) : [])}");
    }

    [Fact]
    public async Task PutUploadComplete_DigestDoesNotMatch_Returns400DigestInvalidAndSessionKept()
    {
        var upload = await registry.NewUploadAsync("seed/app", 10);

        await AssertRefusedAsync("PUT", $"{upload}?digest=sha256:{new string('0', 64)}", 400, "DIGEST_INVALID");

        var status = await RawHttp.SendAsync(registry.Server, "GET", upload);
        Assert.Equal(204, status.Status);
        Assert.Equal("0-9", status.Header("Range"));
    }

    [Fact]
    public async Task PutUploadComplete_WithoutDigest_Returns400DigestInvalid()
    {
        await AssertRefusedAsync("PUT", registry.SeedUpload, 400, "DIGEST_INVALID", Body);
    }

    [Fact]
    public async Task PutUploadComplete_DigestGivenTwice_Returns400DigestInvalid()
    {
        // Two digests, one of which matches: which one is checked must not be a matter of luck.
        var upload = await registry.NewUploadAsync("seed/app", 0);

        await AssertRefusedAsync("PUT", $"{upload}?digest={RegistryClient.DigestOf(Body)}&digest=sha256:{new string('0', 64)}", 400, "DIGEST_INVALID", Body);
    }

    [Fact]
    public async Task GetBlob_ValidButUnknownDigest_Returns404BlobUnknown()
    {
        await AssertRefusedAsync("GET", $"/v2/seed/app/blobs/sha256:{new string('0', 64)}", 404, "BLOB_UNKNOWN");
    }
}
