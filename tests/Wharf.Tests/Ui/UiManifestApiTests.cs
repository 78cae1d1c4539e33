using System.Net;
using System.Text;
using System.Text.Json;
using Wharf.Tests.Api;
using TestManifests = Wharf.Tests.Api.Manifests;

namespace Wharf.Tests.Ui;

/// <summary>The image page's data (<c>/wharf/ui/api/manifest</c>) and deleting from the UI,
/// without authentication.</summary>
public sealed class UiManifestApiTests(WharfApiFactory factory) : ApiTestBase(factory)
{
    private const string ManifestPath = "/wharf/ui/api/manifest";

    // An image config as build tools write it: the platform, how the container runs, and the
    // history whose created_by entries are the Dockerfile's steps.
    private const string ImageConfig = """
        {"architecture":"arm64","variant":"v8","os":"linux","created":"2026-11-01T10:00:00Z","author":"wharf tests",
         "config":{"Entrypoint":["/usr/bin/server"],"Cmd":["--port","8080"],"Env":["PATH=/usr/bin","MODE=production"],
           "WorkingDir":"/srv","User":"1000","ExposedPorts":{"8080/tcp":{}},"Labels":{"org.opencontainers.image.source":"https://example.com/app"}},
         "rootfs":{"type":"layers","diff_ids":[]},
         "history":[{"created":"2026-11-01T09:59:00Z","created_by":"/bin/sh -c #(nop) ADD file:abc in / "},
                    {"created":"2026-11-01T10:00:00Z","created_by":"/bin/sh -c #(nop)  CMD [\"--port\" \"8080\"]","empty_layer":true}]}
        """;

    private static string Id() => Guid.NewGuid().ToString("N");

    private async Task<JsonElement> DescribeAsync(string repository, string reference)
    {
        using var response = await Http.GetAsync($"{ManifestPath}?repository={repository}&reference={Uri.EscapeDataString(reference)}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private async Task<(string Digest, string Json, long ConfigSize, long LayerSize)> PushImageAsync(string repository, string tag, string config = ImageConfig, string seed = "layer")
    {
        var configBytes = Encoding.UTF8.GetBytes(config);
        var layer = Encoding.UTF8.GetBytes($"layer bytes of {seed}");
        var configDigest = await Registry.PushBlobAsync(repository, configBytes);
        var layerDigest = await Registry.PushBlobAsync(repository, layer);
        var json = TestManifests.OciImage(configDigest, configBytes.Length, [(layerDigest, layer.Length)]);
        using var response = await Registry.PutManifestAsync(repository, tag, json, TestManifests.OciManifestType);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (RegistryClient.DigestOf(json), json, configBytes.Length, layer.Length);
    }

    [Fact]
    public async Task Describe_Image_ShowsLayersConfigHistoryTagsAndRawJson()
    {
        var repository = $"ui/{Id()}";
        var (digest, json, configSize, layerSize) = await PushImageAsync(repository, "v1");
        using (await Registry.PutManifestAsync(repository, "latest", json, TestManifests.OciManifestType))
        {
        }

        var page = await DescribeAsync(repository, "v1");

        Assert.Equal(digest, page.GetProperty("digest").GetString());
        Assert.Equal("image", page.GetProperty("kind").GetString());
        Assert.Equal(["latest", "v1"], page.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(Encoding.UTF8.GetByteCount(json) + configSize + layerSize, page.GetProperty("totalSize").GetInt64());
        Assert.Equal(json, page.GetProperty("raw").GetString());
        var layer = Assert.Single(page.GetProperty("layers").EnumerateArray());
        Assert.Equal(layerSize, layer.GetProperty("size").GetInt64());
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", layer.GetProperty("mediaType").GetString());
        var image = page.GetProperty("image");
        Assert.Equal("linux", image.GetProperty("os").GetString());
        Assert.Equal("arm64", image.GetProperty("architecture").GetString());
        Assert.Equal("v8", image.GetProperty("variant").GetString());
        Assert.Equal(["/usr/bin/server"], image.GetProperty("entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["--port", "8080"], image.GetProperty("cmd").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["PATH=/usr/bin", "MODE=production"], image.GetProperty("env").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["8080/tcp"], image.GetProperty("exposedPorts").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("https://example.com/app", image.GetProperty("labels").GetProperty("org.opencontainers.image.source").GetString());
        var history = image.GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(2, history.Count);
        Assert.StartsWith("/bin/sh -c #(nop) ADD file:abc", history[0].GetProperty("createdBy").GetString());
        Assert.False(history[0].GetProperty("emptyLayer").GetBoolean());
        Assert.True(history[1].GetProperty("emptyLayer").GetBoolean());
        Assert.True(page.GetProperty("mayDelete").GetBoolean());
    }

    [Fact]
    public async Task Describe_IndexByDigest_ListsPlatformsAndWhichArePresent()
    {
        var repository = $"ui/{Id()}";
        var (amd64, amd64Json, _, _) = await PushImageAsync(repository, "amd64", ImageConfig.Replace("arm64", "amd64", StringComparison.Ordinal), "amd64");
        var absent = RegistryClient.DigestOf("never pushed");
        var index = TestManifests.Index(TestManifests.OciIndexType, TestManifests.OciManifestType,
            [(amd64, Encoding.UTF8.GetByteCount(amd64Json), "amd64"), (absent, 123, "arm64")]);
        using (var put = await Registry.PutManifestAsync(repository, "multi", index, TestManifests.OciIndexType))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        var digest = RegistryClient.DigestOf(index);

        var page = await DescribeAsync(repository, digest);

        Assert.Equal("index", page.GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("image").ValueKind);
        var platforms = page.GetProperty("platforms").EnumerateArray().ToList();
        Assert.Equal(["linux/amd64", "linux/arm64"], platforms.Select(p => p.GetProperty("platform").GetString()));
        Assert.Equal([amd64, absent], platforms.Select(p => p.GetProperty("digest").GetString()));
        Assert.Equal([true, false], platforms.Select(p => p.GetProperty("present").GetBoolean()));

        // The tag list names an index's platforms, for the repository page.
        using var tags = await Http.GetAsync($"/wharf/ui/api/tags?repository={repository}&filter=multi");
        using var document = JsonDocument.Parse(await tags.Content.ReadAsStringAsync());
        var tag = Assert.Single(document.RootElement.GetProperty("tags").EnumerateArray());
        Assert.Equal(["linux/amd64", "linux/arm64"], tag.GetProperty("platforms").EnumerateArray().Select(p => p.GetString()));
        Assert.True(document.RootElement.GetProperty("mayDelete").GetBoolean());
    }

    [Fact]
    public async Task Describe_ImageWithSignatureAndSignedSbom_ShowsTheReferrersAsATree()
    {
        var repository = $"ui/{Id()}";
        var (subject, _, _, _) = await PushImageAsync(repository, "v1");
        var signature = await PushArtifactAsync(repository, subject, "application/vnd.example.signature", "sig");
        var sbom = await PushArtifactAsync(repository, subject, "application/spdx+json", "sbom");
        var sbomSignature = await PushArtifactAsync(repository, sbom, "application/vnd.example.signature", "sbom-sig");

        var referrers = (await DescribeAsync(repository, "v1")).GetProperty("referrers").EnumerateArray().ToList();

        Assert.Equal([signature, sbom], referrers.Select(r => r.GetProperty("digest").GetString()).Order());
        var sbomNode = referrers.Single(r => r.GetProperty("digest").GetString() == sbom);
        Assert.Equal("application/spdx+json", sbomNode.GetProperty("artifactType").GetString());
        var nested = Assert.Single(sbomNode.GetProperty("referrers").EnumerateArray());
        Assert.Equal(sbomSignature, nested.GetProperty("digest").GetString());
        Assert.Equal("application/vnd.example.signature", nested.GetProperty("artifactType").GetString());
        Assert.Empty(referrers.Single(r => r.GetProperty("digest").GetString() == signature).GetProperty("referrers").EnumerateArray());

        // The artifact's own page says what it is and what it refers to.
        var artifact = await DescribeAsync(repository, sbom);
        Assert.Equal("artifact", artifact.GetProperty("kind").GetString());
        Assert.Equal(subject, artifact.GetProperty("subject").GetProperty("digest").GetString());
    }

    private async Task<string> PushArtifactAsync(string repository, string subject, string artifactType, string seed)
    {
        var empty = Encoding.UTF8.GetBytes("{}");
        var payload = Encoding.UTF8.GetBytes($"payload of {seed}");
        var emptyDigest = await Registry.PushBlobAsync(repository, empty);
        var payloadDigest = await Registry.PushBlobAsync(repository, payload);
        var json = TestManifests.OciImage(emptyDigest, empty.Length, [(payloadDigest, payload.Length)], subject, artifactType);
        var digest = RegistryClient.DigestOf(json);
        using var response = await Registry.PutManifestAsync(repository, digest, json, TestManifests.OciManifestType);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return digest;
    }

    [Fact]
    public async Task Delete_ByTag_RemovesOnlyTheTagAndByDigest_RemovesTheManifest()
    {
        var repository = $"ui/{Id()}";
        var (digest, json, _, _) = await PushImageAsync(repository, "v1");
        using (await Registry.PutManifestAsync(repository, "v2", json, TestManifests.OciManifestType))
        {
        }

        using (var response = await Http.DeleteAsync($"{ManifestPath}?repository={repository}&reference=v1"))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        Assert.Equal(["v2"], (await DescribeAsync(repository, digest)).GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        using (var response = await Http.DeleteAsync($"{ManifestPath}?repository={repository}&reference={digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        using var gone = await Http.GetAsync($"/v2/{repository}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var again = await Http.GetAsync($"{ManifestPath}?repository={repository}&reference={digest}");
        await RegistryClient.AssertErrorAsync(again, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task Describe_StringsHoldingHalfAUtf16Pair_AreShownAsTheirJsonNotA500()
    {
        var repository = $"ui/{Id()}";
        // JSON may escape a lone surrogate, which no .NET string can hold.
        var config = ImageConfig.Replace("\"MODE=production\"", "\"MODE=\\ud800\"", StringComparison.Ordinal)
            .Replace("\"org.opencontainers.image.source\"", "\"\\udfff\":\"x\",\"org.opencontainers.image.source\"", StringComparison.Ordinal);
        var (digest, json, _, _) = await PushImageAsync(repository, "odd", config);
        var index = $$$"""
            {"schemaVersion":2,"mediaType":"{{{TestManifests.OciIndexType}}}","manifests":[{"mediaType":"{{{TestManifests.OciManifestType}}}",
              "digest":"{{{digest}}}","size":{{{Encoding.UTF8.GetByteCount(json)}}},"platform":{"os":"linux","architecture":"\ud800"}}]}
            """;
        using (var put = await Registry.PutManifestAsync(repository, "odd-index", index, TestManifests.OciIndexType))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var image = (await DescribeAsync(repository, "odd")).GetProperty("image");
        Assert.Contains("MODE=\\ud800", image.GetProperty("env").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("https://example.com/app", image.GetProperty("labels").GetProperty("org.opencontainers.image.source").GetString());
        using var tags = await Http.GetAsync($"/wharf/ui/api/tags?repository={repository}");
        Assert.Equal(HttpStatusCode.OK, tags.StatusCode);
        await DescribeAsync(repository, "odd-index");
    }

    [Fact]
    public async Task Describe_ConfigDescriptorUnderstatingItsBlob_ShowsNoImageAndReadsNoMore()
    {
        var repository = $"ui/{Id()}";
        // The config descriptor names a whole image config (a valid one, padded to 64 KiB) but
        // claims 10 bytes of it: nothing past the claim is read, so nothing of it is shown.
        var big = Encoding.UTF8.GetBytes(ImageConfig.Replace("\"author\":\"wharf tests\"", $"\"author\":\"{new string('x', 64 * 1024)}\"", StringComparison.Ordinal));
        Assert.True(big.Length > 64 * 1024);
        var bigDigest = await Registry.PushBlobAsync(repository, big);
        var json = TestManifests.OciImage(bigDigest, 10, []);
        using (var put = await Registry.PutManifestAsync(repository, "lying", json, TestManifests.OciManifestType))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var page = await DescribeAsync(repository, "lying");

        Assert.Equal(JsonValueKind.Null, page.GetProperty("image").ValueKind);
        Assert.Equal(10, page.GetProperty("config").GetProperty("size").GetInt64());
    }

    [Theory]
    [InlineData("repository=ui/x&reference=..%2Fetc", HttpStatusCode.NotFound, "MANIFEST_UNKNOWN")]
    [InlineData("repository=UI/Bad&reference=v1", HttpStatusCode.BadRequest, "NAME_INVALID")]
    [InlineData("repository=ui/x&reference=sha256:zz", HttpStatusCode.BadRequest, "DIGEST_INVALID")]
    [InlineData("repository=ui/never&reference=v1", HttpStatusCode.NotFound, "MANIFEST_UNKNOWN")]
    public async Task Describe_BadOrUnknownReference_AnswersTheSpecsError(string query, HttpStatusCode status, string code)
    {
        using var response = await Http.GetAsync($"{ManifestPath}?{query}");
        await RegistryClient.AssertErrorAsync(response, status, code);
    }
}

/// <summary>The UI with deletion turned off: nothing offers or performs a delete.</summary>
public sealed class UiDeleteDisabledTests
{
    [Fact]
    public async Task DeletionOff_MayDeleteIsFalseAndDeleteIsRefused()
    {
        using var factory = new WharfApiFactory([("Storage:Delete:Enabled", "false")]);
        using var http = factory.CreateClient();
        var registry = new RegistryClient(http);
        var (_, digest) = await registry.PushImageAsync("ui/nodelete", "v1");

        using var page = await http.GetAsync($"/wharf/ui/api/manifest?repository=ui/nodelete&reference=v1");
        using var document = JsonDocument.Parse(await page.Content.ReadAsStringAsync());
        Assert.False(document.RootElement.GetProperty("mayDelete").GetBoolean());
        using var delete = await http.DeleteAsync($"/wharf/ui/api/manifest?repository=ui/nodelete&reference={digest}");
        await RegistryClient.AssertErrorAsync(delete, HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
    }
}
