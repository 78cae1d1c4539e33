using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Wharf.Tests.Api;

namespace Wharf.Tests.Conformance;

/// <summary>
/// Shared plumbing for the OCI Distribution Specification v1.1 conformance tests: one in-process
/// registry per test class, a fresh repository per test, and helpers that speak the protocol the
/// way a client following the spec would (always using the <c>Location</c> the registry returns).
/// </summary>
public abstract class ConformanceTestBase : IClassFixture<WharfApiFactory>
{
    protected ConformanceTestBase(WharfApiFactory factory)
    {
        Factory = factory;
        Registry = new RegistryClient(factory.CreateClient());
    }

    protected WharfApiFactory Factory { get; }
    protected RegistryClient Registry { get; }
    protected HttpClient Http => Registry.Http;

    /// <summary>A repository name no other test uses; two components, to exercise multi-part names.</summary>
    protected static string NewRepository(string prefix = "conformance") => $"{prefix}/r{Guid.NewGuid():N}";

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    protected static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    protected static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    protected static string Sha256(string text) => Sha256(Bytes(text));

    protected static string Sha512(byte[] bytes) => "sha512:" + Convert.ToHexStringLower(SHA512.HashData(bytes));

    protected static string Sha512(string text) => Sha512(Bytes(text));

    /// <summary>A request path for a Location the registry returned, relative or absolute.</summary>
    protected static string PathOf(Uri location) => location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;

    /// <summary>Adds a query parameter to a location that may already carry some.</summary>
    protected static string WithQuery(string location, string key, string value) =>
        $"{location}{(location.Contains('?', StringComparison.Ordinal) ? '&' : '?')}{key}={Uri.EscapeDataString(value)}";

    protected static string SingleHeader(HttpResponseMessage response, string name)
    {
        Assert.True(response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values),
            $"the response ({(int)response.StatusCode}) has no {name} header");
        return Assert.Single(values!);
    }

    protected static string? OptionalHeader(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;

    protected static Uri RequireLocation(HttpResponseMessage response)
    {
        Assert.True(response.Headers.Location is not null, $"the response ({(int)response.StatusCode}) has no Location header");
        return response.Headers.Location!;
    }

    protected Task<HttpResponseMessage> HeadAsync(string path) => Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

    protected Task<HttpResponseMessage> GetAsync(string path, params string[] accept)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var type in accept)
        {
            request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse(type));
        }
        return Http.SendAsync(request);
    }

    protected Task<HttpResponseMessage> DeleteAsync(string path) => Http.DeleteAsync(path);

    protected static ByteArrayContent OctetStream(byte[] bytes, int offset = 0, int? count = null)
    {
        var content = new ByteArrayContent(bytes, offset, count ?? bytes.Length - offset);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    /// <summary>POST with <c>Content-Length: 0</c>, as the spec asks of a client opening a session.</summary>
    protected async Task<HttpResponseMessage> OpenUploadAsync(string repository)
    {
        var content = new ByteArrayContent([]);
        content.Headers.ContentLength = 0;
        return await Http.PostAsync($"/v2/{repository}/blobs/uploads/", content);
    }

    /// <summary>Opens an upload session; asserts 202 and returns its location.</summary>
    protected async Task<string> StartUploadAsync(string repository)
    {
        using var response = await OpenUploadAsync(repository);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return PathOf(RequireLocation(response));
    }

    /// <summary>A chunk: PATCH with Content-Type, Content-Length and an inclusive Content-Range.</summary>
    protected Task<HttpResponseMessage> PatchChunkAsync(string location, byte[] blob, int start, int count, string? contentRange = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = OctetStream(blob, start, count) };
        request.Content.Headers.TryAddWithoutValidation("Content-Range", contentRange ?? $"{start}-{start + count - 1}");
        return Http.SendAsync(request);
    }

    /// <summary>POST then PUT; asserts 201 and returns the digest.</summary>
    protected async Task<string> PushBlobPostPutAsync(string repository, byte[] blob, string? digest = null)
    {
        digest ??= Sha256(blob);
        var location = await StartUploadAsync(repository);
        using var put = await Http.PutAsync(WithQuery(location, "digest", digest), OctetStream(blob));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return digest;
    }

    protected Task<string> PushBlobAsync(string repository, byte[] blob) => Registry.PushBlobAsync(repository, blob);

    protected Task<HttpResponseMessage> PutManifestAsync(string repository, string reference, string json, string? contentType = OciTypes.ImageManifest) =>
        Registry.PutManifestAsync(repository, reference, json, contentType);

    protected Task<HttpResponseMessage> PutManifestAsync(string repository, string reference, byte[] body, string? contentType)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        return Http.PutAsync($"/v2/{repository}/manifests/{reference}", content);
    }

    /// <summary>Pushes a config and a layer, then an OCI image manifest for them; returns its JSON and digest.</summary>
    protected Task<(string Json, string Digest)> PushImageAsync(string repository, string reference, string seed = "layer") =>
        Registry.PushImageAsync(repository, reference, seed);

    /// <summary>Pushes the empty config blob <c>{}</c> the image-spec defines for artifacts.</summary>
    protected Task<string> PushEmptyConfigAsync(string repository) => PushBlobAsync(repository, Bytes(OciTypes.EmptyJson));

    /// <summary>Pushes an artifact manifest (by digest) whose subject is <paramref name="subject"/>.</summary>
    protected async Task<(string Json, string Digest)> PushReferrerAsync(
        string repository, string subject, string? artifactType, string configMediaType = OciTypes.Empty,
        IReadOnlyDictionary<string, string>? annotations = null, string seed = "")
    {
        string configDigest;
        long configSize;
        if (configMediaType == OciTypes.Empty)
        {
            configDigest = await PushEmptyConfigAsync(repository);
            configSize = OciTypes.EmptyJson.Length;
        }
        else
        {
            var config = Bytes($"{{\"kind\":\"{configMediaType}\",\"seed\":\"{seed}\"}}");
            configDigest = await PushBlobAsync(repository, config);
            configSize = config.Length;
        }
        var layer = Bytes($"referrer payload {seed} {Guid.NewGuid():N}");
        var layerDigest = await PushBlobAsync(repository, layer);
        var json = OciJson.Manifest(
            new OciJson.Desc(configMediaType, configDigest, configSize),
            [new OciJson.Desc("application/vnd.example.payload", layerDigest, layer.Length)],
            artifactType: artifactType,
            subject: new OciJson.Desc(OciTypes.ImageManifest, subject, 100),
            annotations: annotations);
        var digest = Sha256(json);
        using var response = await PutManifestAsync(repository, digest, json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (json, digest);
    }
}

/// <summary>Media types the conformance tests use.</summary>
public static class OciTypes
{
    public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string ImageIndex = "application/vnd.oci.image.index.v1+json";
    public const string ImageConfig = "application/vnd.oci.image.config.v1+json";
    public const string Layer = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string Empty = "application/vnd.oci.empty.v1+json";
    public const string EmptyJson = "{}";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
}

/// <summary>Builds manifest and index JSON for the tests.</summary>
public static class OciJson
{
    public sealed record Desc(string MediaType, string Digest, long Size, string? ArtifactType = null);

    private static Dictionary<string, object?> Descriptor(Desc d)
    {
        var result = new Dictionary<string, object?> { ["mediaType"] = d.MediaType, ["digest"] = d.Digest, ["size"] = d.Size };
        if (d.ArtifactType is not null)
        {
            result["artifactType"] = d.ArtifactType;
        }
        return result;
    }

    public static string Manifest(Desc config, IEnumerable<Desc> layers, string? artifactType = null, Desc? subject = null,
        IReadOnlyDictionary<string, string>? annotations = null, string mediaType = OciTypes.ImageManifest)
    {
        var root = new Dictionary<string, object?>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
        };
        if (artifactType is not null)
        {
            root["artifactType"] = artifactType;
        }
        root["config"] = Descriptor(config);
        root["layers"] = layers.Select(Descriptor).ToArray();
        if (subject is not null)
        {
            root["subject"] = Descriptor(subject);
        }
        if (annotations is not null)
        {
            root["annotations"] = annotations;
        }
        return JsonSerializer.Serialize(root);
    }

    public static string Index(IEnumerable<Desc> manifests, string? artifactType = null, Desc? subject = null,
        IReadOnlyDictionary<string, string>? annotations = null, string mediaType = OciTypes.ImageIndex)
    {
        var root = new Dictionary<string, object?>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
        };
        if (artifactType is not null)
        {
            root["artifactType"] = artifactType;
        }
        root["manifests"] = manifests.Select(Descriptor).ToArray();
        if (subject is not null)
        {
            root["subject"] = Descriptor(subject);
        }
        if (annotations is not null)
        {
            root["annotations"] = annotations;
        }
        return JsonSerializer.Serialize(root);
    }
}

/// <summary>The spec's error body (section "Error Codes") and its table of codes.</summary>
public static class SpecErrors
{
    /// <summary>code-1 .. code-14 of the specification's error table.</summary>
    public static readonly IReadOnlySet<string> Codes = new HashSet<string>(StringComparer.Ordinal)
    {
        "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN",
        "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED",
        "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS",
    };

    /// <summary>
    /// Checks a 4XX body. A body that is not JSON is allowed by the spec; a JSON body must be
    /// <c>{"errors":[{"code","message","detail"}]}</c> with codes from the table. Returns the codes
    /// (empty for a non-JSON body).
    /// </summary>
    public static async Task<IReadOnlyList<string>> ValidateAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return [];
        }
        using (document)
        {
            var root = document.RootElement;
            Assert.True(root.ValueKind == JsonValueKind.Object, $"error body is JSON but not an object: {body}");
            Assert.True(root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array,
                $"error body has no 'errors' array: {body}");
            Assert.True(errors.GetArrayLength() > 0, $"error body has an empty 'errors' array: {body}");
            var codes = new List<string>();
            foreach (var error in errors.EnumerateArray())
            {
                Assert.Equal(JsonValueKind.Object, error.ValueKind);
                Assert.True(error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String,
                    $"an error has no string 'code': {body}");
                var text = code.GetString()!;
                Assert.True(text.Length > 0 && text.All(c => c is (>= 'A' and <= 'Z') or '_'),
                    $"error code '{text}' is not made only of uppercase letters and underscores");
                Assert.True(Codes.Contains(text),
                    $"error code '{text}' (HTTP {(int)response.StatusCode}) is not one of the specification's error codes");
                if (error.TryGetProperty("message", out var message))
                {
                    Assert.True(message.ValueKind is JsonValueKind.String or JsonValueKind.Null,
                        $"error 'message' should be a string: {body}");
                }
                codes.Add(text);
            }
            return codes;
        }
    }

    /// <summary>Asserts the status, that the body is a spec error body, and that it carries <paramref name="code"/>.</summary>
    public static async Task AssertAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        var codes = await ValidateAsync(response);
        Assert.Contains(code, codes);
    }
}

/// <summary>A registry with deletion turned off (<c>Storage:Delete:Enabled=false</c>).</summary>
public sealed class DeletionDisabledRegistry : IDisposable
{
    public WharfApiFactory Factory { get; } = new(("Storage:Delete:Enabled", "false"));

    public void Dispose() => Factory.Dispose();
}

/// <summary>A registry that refuses an index whose child manifests it does not hold
/// (<c>Manifests:RequireIndexChildren=true</c>).</summary>
public sealed class IndexChildrenRequiredRegistry : IDisposable
{
    public WharfApiFactory Factory { get; } = new(("Manifests:RequireIndexChildren", "true"));

    public void Dispose() => Factory.Dispose();
}

/// <summary>A registry that accepts image manifests whose layers it does not hold
/// (<c>Manifests:RequireBlobs=false</c>).</summary>
public sealed class SparseImagesAllowedRegistry : IDisposable
{
    public WharfApiFactory Factory { get; } = new(("Manifests:RequireBlobs", "false"));

    public void Dispose() => Factory.Dispose();
}
