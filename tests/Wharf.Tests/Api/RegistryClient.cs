using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Wharf.Tests.Api;

/// <summary>Test-side helpers that speak the registry protocol over an <see cref="HttpClient"/>.</summary>
public sealed class RegistryClient(HttpClient http)
{
    public HttpClient Http { get; } = http;

    public static string DigestOf(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string DigestOf(string text) => DigestOf(Encoding.UTF8.GetBytes(text));

    /// <summary>Monolithic upload; asserts 201 and returns the digest.</summary>
    public async Task<string> PushBlobAsync(string repository, byte[] bytes)
    {
        var digest = DigestOf(bytes);
        using var response = await Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return digest;
    }

    public Task<string> PushBlobAsync(string repository, string text) => PushBlobAsync(repository, Encoding.UTF8.GetBytes(text));

    public async Task<HttpResponseMessage> PutManifestAsync(string repository, string reference, string json, string? mediaType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        if (mediaType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        }
        return await Http.PutAsync($"/v2/{repository}/manifests/{reference}", content);
    }

    /// <summary>Pushes a config and one layer, then an OCI image manifest for them. Returns the manifest JSON and digest.</summary>
    public async Task<(string Json, string Digest)> PushImageAsync(string repository, string tag, string seed = "layer")
    {
        var config = $"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":\"{seed}\"}}";
        var layer = Encoding.UTF8.GetBytes($"layer bytes for {seed}");
        var configDigest = await PushBlobAsync(repository, config);
        var layerDigest = await PushBlobAsync(repository, layer);
        var json = Manifests.OciImage(configDigest, config.Length, [(layerDigest, layer.Length)]);
        using var response = await PutManifestAsync(repository, tag, json, Manifests.OciManifestType);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (json, DigestOf(json));
    }

    /// <summary>Reads the spec's error body and returns its first code.</summary>
    public static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("errors")[0].GetProperty("code").GetString()!;
    }

    public static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, await ErrorCodeAsync(response));
    }
}

/// <summary>Manifest JSON for tests.</summary>
public static class Manifests
{
    public const string OciManifestType = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndexType = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifestType = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerListType = "application/vnd.docker.distribution.manifest.list.v2+json";

    public static string OciImage(string configDigest, long configSize, IEnumerable<(string Digest, long Size)> layers, string? subject = null, string? artifactType = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciManifestType,
            ["artifactType"] = artifactType,
            ["config"] = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = configDigest, size = configSize },
            ["layers"] = layers.Select(l => new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest = l.Digest, size = l.Size }).ToArray(),
            ["subject"] = subject is null ? null : new { mediaType = OciManifestType, digest = subject, size = 100 },
        }.Where(p => p.Value is not null).ToDictionary());

    public static string DockerImage(string configDigest, long configSize, IEnumerable<(string Digest, long Size)> layers) =>
        JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            mediaType = DockerManifestType,
            config = new { mediaType = "application/vnd.docker.container.image.v1+json", digest = configDigest, size = configSize },
            layers = layers.Select(l => new { mediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip", digest = l.Digest, size = l.Size }).ToArray(),
        });

    public static string Index(string mediaType, string childMediaType, IEnumerable<(string Digest, long Size, string Arch)> children) =>
        JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            mediaType,
            manifests = children.Select(c => new { mediaType = childMediaType, digest = c.Digest, size = c.Size, platform = new { architecture = c.Arch, os = "linux" } }).ToArray(),
        });
}
