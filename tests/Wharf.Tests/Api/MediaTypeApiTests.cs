using System.Net;
using System.Text;
using System.Text.Json;

namespace Wharf.Tests.Api;

/// <summary>Artifacts of every kind, nested indexes and foreign layers: stored and served byte for byte.</summary>
public sealed class MediaTypeApiTests(WharfApiFactory factory) : ApiTestBase(factory)
{
    private async Task<string> PushArtifactAsync(string repository, string tag, string configType, string configBody, string layerType, string? artifactType = null)
    {
        var configDigest = await Registry.PushBlobAsync(repository, configBody);
        var layer = $"content of {layerType}";
        var layerDigest = await Registry.PushBlobAsync(repository, layer);
        var manifest = new Dictionary<string, object?>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = Manifests.OciManifestType,
            ["artifactType"] = artifactType,
            ["config"] = new { mediaType = configType, digest = configDigest, size = Encoding.UTF8.GetByteCount(configBody) },
            ["layers"] = new[] { new { mediaType = layerType, digest = layerDigest, size = layer.Length } },
            ["annotations"] = new Dictionary<string, string> { ["org.opencontainers.image.created"] = "2024-01-01T00:00:00Z" },
        };
        // Compact, with a trailing newline: what many tools write; the bytes must survive unchanged.
        var json = JsonSerializer.Serialize(manifest.Where(p => p.Value is not null).ToDictionary()) + "\n";
        using var response = await Registry.PutManifestAsync(repository, tag, json, Manifests.OciManifestType);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var get = await Http.GetAsync($"/v2/{repository}/manifests/{tag}");
        Assert.Equal(json, await get.Content.ReadAsStringAsync());
        return json;
    }

    [Theory]
    [InlineData("application/vnd.cncf.helm.config.v1+json", "{\"name\":\"chart\",\"version\":\"1.0.0\"}", "application/vnd.cncf.helm.chart.content.v1.tar+gzip", null)]
    [InlineData("application/vnd.wasm.config.v0+json", "{\"architecture\":\"wasm\"}", "application/vnd.wasm.content.layer.v1+wasm", null)]
    [InlineData("application/vnd.oci.image.config.v1+json", "{}", "application/vnd.dev.cosign.simplesigning.v1+json", null)]
    [InlineData("application/vnd.oci.empty.v1+json", "{}", "application/spdx+json", "application/spdx+json")]
    [InlineData("application/vnd.example.anything+yaml", "k: v", "application/vnd.example.payload", "application/vnd.example.artifact")]
    public async Task Put_ArtifactOfAnyType_IsStoredAndServedByteForByte(string configType, string configBody, string layerType, string? artifactType)
    {
        await PushArtifactAsync(NewRepository(), "v1", configType, configBody, layerType, artifactType);
    }

    [Fact]
    public async Task Put_IndexOfIndexes_IsAccepted()
    {
        var repository = NewRepository();
        var (image, imageDigest) = await Registry.PushImageAsync(repository, "leaf");
        var inner = Manifests.Index(Manifests.OciIndexType, Manifests.OciManifestType, [(imageDigest, Encoding.UTF8.GetByteCount(image), "amd64")]);
        using var putInner = await Registry.PutManifestAsync(repository, "inner", inner, Manifests.OciIndexType);
        var outer = Manifests.Index(Manifests.OciIndexType, Manifests.OciIndexType, [(RegistryClient.DigestOf(inner), Encoding.UTF8.GetByteCount(inner), "amd64")]);

        using var putOuter = await Registry.PutManifestAsync(repository, "outer", outer, Manifests.OciIndexType);
        using var get = await Http.GetAsync($"/v2/{repository}/manifests/outer");

        Assert.Equal(HttpStatusCode.Created, putInner.StatusCode);
        Assert.Equal(HttpStatusCode.Created, putOuter.StatusCode);
        Assert.Equal(outer, await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Put_ForeignAndNonDistributableLayersWithoutBlobs_AreAccepted()
    {
        var repository = NewRepository();
        var config = "{\"os\":\"windows\"}";
        var configDigest = await Registry.PushBlobAsync(repository, config);
        var json = JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            mediaType = Manifests.DockerManifestType,
            config = new { mediaType = "application/vnd.docker.container.image.v1+json", digest = configDigest, size = config.Length },
            layers = new object[]
            {
                new { mediaType = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", digest = RegistryClient.DigestOf("windows base"), size = 1000, urls = new[] { "https://example.invalid/base" } },
                new { mediaType = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", digest = RegistryClient.DigestOf("licensed"), size = 10 },
            },
        });

        using var response = await Registry.PutManifestAsync(repository, "win", json, Manifests.DockerManifestType);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Put_ImageWithMissingConfig_Returns400ManifestBlobUnknown()
    {
        var repository = NewRepository();
        var layerDigest = await Registry.PushBlobAsync(repository, "a layer");
        var json = Manifests.OciImage(RegistryClient.DigestOf("absent config"), 10, [(layerDigest, 7)]);

        using var response = await Registry.PutManifestAsync(repository, "v1", json, Manifests.OciManifestType);

        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    public async Task Put_DockerSchema1_IsRefusedWithClearMessage()
    {
        var json = "{\"schemaVersion\":1,\"name\":\"team/app\",\"tag\":\"v1\",\"architecture\":\"amd64\",\"fsLayers\":[],\"history\":[]}";
        using var response = await Registry.PutManifestAsync(NewRepository(), "v1", json, "application/vnd.docker.distribution.manifest.v1+json");

        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        Assert.Contains("schema1", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
