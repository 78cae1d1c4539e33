namespace Wharf.Tests.Hostile;

/// <summary>Request headers over the limit (Limits:MaxRequestHeaderBytes, 32 KiB by default) are
/// answered 431 by the server before Wharf reads anything.</summary>
public sealed class HostileHeaderTests(HostileRegistryFixture registry) : IClassFixture<HostileRegistryFixture>
{
    private async Task AssertStatusAsync(string what, string method, string target, (string, string)[] headers, int status, string? code, byte[]? body = null)
    {
        var before = await registry.StateAsync();

        var response = await RawHttp.SendAsync(registry.Server, method, target, body, headers);

        Hostile.AssertRefused(response, status, code, what);
        before.AssertSame(await registry.StateAsync(), what);
    }

    [Fact]
    public async Task Get_OneHeaderOver32KiB_Returns431()
    {
        await AssertStatusAsync("a 40 KiB header", "GET", "/v2/", [("X-Junk", new string('a', 40 * 1024))], 431, null);
    }

    [Fact]
    public async Task Put_ManyHeadersTogetherOver32KiB_Returns431()
    {
        var headers = Enumerable.Range(0, 90).Select(i => ($"X-Junk-{i}", new string('b', 400))).ToArray();

        await AssertStatusAsync("90 headers of 400 bytes", "PUT", "/v2/seed/app/manifests/hdr", headers, 431, null, Hostile.Utf8(Hostile.ValidManifest()));
    }

    [Fact]
    public async Task Post_HugeAuthorizationHeader_Returns431()
    {
        await AssertStatusAsync("a 33 KiB bearer token", "POST", "/v2/seed/app/blobs/uploads/", [("Authorization", "Bearer " + new string('t', 33 * 1024))], 431, null, [1, 2, 3]);
    }

    [Fact]
    public async Task Get_TooManyHeaders_Returns431()
    {
        var headers = Enumerable.Range(0, 500).Select(i => ($"X-H{i}", "v")).ToArray();

        await AssertStatusAsync("500 small headers", "GET", "/v2/", headers, 431, null);
    }

    [Fact]
    public async Task Get_HeadersJustUnderLimit_AreServed()
    {
        // The control: 30 KiB of headers is within the limit.
        var response = await RawHttp.SendAsync(registry.Server, "GET", "/v2/", null, [("X-Junk", new string('c', 30 * 1024))]);

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task PatchUpload_HugeContentRangeHeader_Returns400BlobUploadInvalid()
    {
        // Within the total limit, the value is still quoted back clipped.
        var upload = await registry.NewUploadAsync("hdr/app", 10);

        await AssertStatusAsync("a 20 KiB Content-Range", "PATCH", upload, [("Content-Range", "10-" + new string('9', 20 * 1024))], 400, "BLOB_UPLOAD_INVALID", new byte[10]);
    }
}
