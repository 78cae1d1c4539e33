using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// Tag parameters on a manifest push (<c>PUT .../manifests/&lt;digest&gt;?tag=a&amp;tag=b</c>) against
/// the real server over loopback: raw HTTP pushes (no client sends tag parameters yet), then the real
/// skopeo pulls by the tags that push created, and a sha512 image is tagged and read back by tag.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class ManifestTagParameterEndToEndTests(ITestOutputHelper output) : EndToEndTestBase(output)
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";

    [Fact]
    public async Task PushByDigestWithTags_SkopeoPullsEachTagWithIdenticalDigest()
    {
        using var skopeo = new Skopeo(Output);
        await using var wharf = await WharfProcess.StartAsync(Output);
        using var http = wharf.CreateClient();
        var json = await PushImageBlobsAsync(http, "team/tagged");
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));

        using var put = await PutManifestAsync(http, $"/v2/team/tagged/manifests/{digest}?tag=v1&tag=latest&tag=v1.0.0", json);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(["v1", "latest", "v1.0.0"], put.Headers.GetValues("OCI-Tag"));
        var listed = (await skopeo.ListTagsAsync($"docker://{wharf.HostPort}/team/tagged")).EnsureSuccess(wharf).StdOut;
        foreach (var tag in new[] { "v1", "latest", "v1.0.0" })
        {
            Assert.Contains($"\"{tag}\"", listed, StringComparison.Ordinal);
            var pulledDir = Path.Combine(WorkDir, "pulled-" + tag);
            (await skopeo.CopyAsync($"docker://{wharf.HostPort}/team/tagged:{tag}", $"oci:{pulledDir}:{tag}", "--preserve-digests")).EnsureSuccess(wharf);
            Assert.Equal(digest, OciLayout.ReadTag(pulledDir, tag).Digest);
        }
    }

    [Fact]
    public async Task PushBySha512DigestWithTag_PulledByTagWithSha512Digest()
    {
        using var skopeo = new Skopeo(Output);
        await using var wharf = await WharfProcess.StartAsync(Output);
        using var http = wharf.CreateClient();
        var json = await PushImageBlobsAsync(http, "team/sha512");
        var digest = "sha512:" + Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(json)));

        using var put = await PutManifestAsync(http, $"/v2/team/sha512/manifests/{digest}?tag=release", json);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(digest, Assert.Single(put.Headers.GetValues("Docker-Content-Digest")));
        Assert.Equal(["release"], put.Headers.GetValues("OCI-Tag"));
        using var pulled = await http.GetAsync("/v2/team/sha512/manifests/release");
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(digest, Assert.Single(pulled.Headers.GetValues("Docker-Content-Digest")));
        Assert.Equal(json, await pulled.Content.ReadAsStringAsync());
        // A real client reads the manifest by that tag, byte for byte.
        var raw = (await skopeo.InspectRawAsync($"docker://{wharf.HostPort}/team/sha512:release")).EnsureSuccess(wharf).StdOut;
        Assert.Equal(json, raw);
    }

    // Pushes a config and a layer; returns the JSON of an OCI image manifest for them (not pushed).
    private static async Task<string> PushImageBlobsAsync(HttpClient http, string repository)
    {
        var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}},\"n\":\"{Guid.NewGuid():N}\"}}");
        var layer = new byte[4096];
        Random.Shared.NextBytes(layer);
        var configDigest = await PushBlobAsync(http, repository, config);
        var layerDigest = await PushBlobAsync(http, repository, layer);
        return $$"""{"schemaVersion":2,"mediaType":"{{ManifestType}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{layerDigest}}","size":{{layer.Length}}}]}""";
    }

    private static async Task<string> PushBlobAsync(HttpClient http, string repository, byte[] bytes)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        using var response = await http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return digest;
    }

    private static async Task<HttpResponseMessage> PutManifestAsync(HttpClient http, string path, string json)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.ContentType = new MediaTypeHeaderValue(ManifestType);
        return await http.PutAsync(path, content);
    }
}
