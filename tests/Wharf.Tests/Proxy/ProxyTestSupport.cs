using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Wharf.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Wharf.Tests.Proxy;

/// <summary>One entry of <c>Proxy:Upstreams</c>; a null or empty prefix is mirror mode.</summary>
public sealed record ProxyUpstream(
    string? Prefix, string Url, string? Username = null, string? Password = null, string? TagTtl = null, string? CaFile = null)
{
    /// <summary>The command-line arguments that configure this upstream as entry <paramref name="index"/>.</summary>
    public IEnumerable<string> Arguments(int index)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"--Proxy:Upstreams:{index}:");
        if (!string.IsNullOrEmpty(Prefix))
        {
            yield return $"{key}Prefix={Prefix}";
        }

        yield return $"{key}Url={Url}";
        if (Username is not null)
        {
            yield return $"{key}Username={Username}";
        }

        if (Password is not null)
        {
            yield return $"{key}Password={Password}";
        }

        if (TagTtl is not null)
        {
            yield return $"{key}TagTtl={TagTtl}";
        }

        if (CaFile is not null)
        {
            yield return $"{key}CaFile={CaFile}";
        }
    }
}

/// <summary>What one raw request to the proxy answered.</summary>
public sealed record HttpAnswer(string Request, HttpStatusCode Status, byte[] Body, string? Digest, string? Warning, TimeSpan Elapsed)
{
    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>The first error code of an OCI error body ({"errors":[{"code":...}]}), or null.</summary>
    public string? ErrorCode => ReadError("code");

    /// <summary>The first error message of an OCI error body, or null.</summary>
    public string? ErrorMessage => ReadError("message");

    /// <summary>The first error's message or detail mentions <paramref name="text"/>.</summary>
    public bool NamesInError(string text) =>
        ErrorMessage?.Contains(text, StringComparison.Ordinal) == true || ReadError("detail")?.Contains(text, StringComparison.Ordinal) == true;

    public override string ToString() =>
        $"{Request} answered {(int)Status} after {Elapsed.TotalMilliseconds:F0} ms" +
        (Digest is null ? "" : $", Docker-Content-Digest {Digest}") + (Warning is null ? "" : $", Warning: {Warning}") +
        $"\n{(Body.Length > 2000 ? Text[..2000] + "..." : Text)}";

    private string? ReadError(string property)
    {
        try
        {
            using var document = JsonDocument.Parse(Body);
            return document.RootElement.TryGetProperty("errors", out var errors) && errors.GetArrayLength() > 0 &&
                   errors[0].TryGetProperty(property, out var value)
                ? value.ToString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>How one streamed blob GET ended: the status, the sha256 of what arrived, how many bytes,
/// and the exception if the transfer broke off.</summary>
public sealed record BlobTransfer(string Request, HttpStatusCode Status, string Digest, long Bytes, Exception? Failure, TimeSpan Started, TimeSpan Elapsed)
{
    /// <summary>The whole body arrived with a 200.</summary>
    public bool Completed => Status == HttpStatusCode.OK && Failure is null;

    public override string ToString() =>
        $"{Request} answered {(int)Status}, {Bytes} bytes hashing to {Digest} in {Elapsed.TotalMilliseconds:F0} ms" +
        (Failure is null ? "" : $", then failed: {Failure.GetType().Name}: {Failure.Message}");
}

/// <summary>Starting a proxying Wharf, raw HTTP against it, and checks of its storage.</summary>
public static class ProxyTestSupport
{
    public static readonly string[] ManifestTypes =
    [
        OciLayout.ManifestMediaType,
        OciLayout.IndexMediaType,
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ];

    /// <summary>Starts a Wharf that proxies <paramref name="upstreams"/> (entries 0, 1, ... in order).</summary>
    public static Task<WharfProcess> StartProxyAsync(ITestOutputHelper output, IEnumerable<string> extraArguments, params ProxyUpstream[] upstreams) =>
        WharfProcess.StartAsync(new WharfStartOptions
        {
            Arguments = [.. upstreams.SelectMany((u, i) => u.Arguments(i)), .. extraArguments],
        }, output);

    public static Task<WharfProcess> StartProxyAsync(ITestOutputHelper output, params ProxyUpstream[] upstreams) =>
        StartProxyAsync(output, [], upstreams);

    /// <summary>Where Wharf's filesystem store keeps a blob's bytes.</summary>
    public static string StoredBlobPath(WharfProcess wharf, string digest)
    {
        var hex = digest["sha256:".Length..];
        return Path.Combine(wharf.StorageRoot, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
    }

    /// <summary>Every file anywhere under the storage root whose path names the blob's hex digest, except
    /// repository link files (a cached manifest may link its layers before they are fetched): a data file,
    /// a partial download, a temp file.</summary>
    public static IReadOnlyList<string> FilesNaming(WharfProcess wharf, string digest)
    {
        var hex = digest["sha256:".Length..];
        return [.. Directory.EnumerateFiles(wharf.StorageRoot, "*", SearchOption.AllDirectories)
            .Where(f => f.Contains(hex, StringComparison.Ordinal) && Path.GetFileName(f) != "link")];
    }

    /// <summary>GET (or HEAD) of a manifest through the proxy, accepting every manifest type.</summary>
    public static async Task<HttpAnswer> GetManifestAsync(WharfProcess wharf, string repository, string reference, bool head = false)
    {
        using var http = wharf.CreateClient(TimeSpan.FromSeconds(60));
        using var request = new HttpRequestMessage(head ? HttpMethod.Head : HttpMethod.Get, $"v2/{repository}/manifests/{reference}");
        foreach (var type in ManifestTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        return await SendAsync(http, request);
    }

    /// <summary>Sends a request without a body and reads the whole answer.</summary>
    public static async Task<HttpAnswer> SendAsync(HttpClient http, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        return await SendAsync(http, request);
    }

    /// <summary>Sends a request and reads the whole answer.</summary>
    public static async Task<HttpAnswer> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var digests) ? digests.FirstOrDefault() : null;
        var warning = response.Headers.TryGetValues("Warning", out var warnings) ? string.Join(", ", warnings) : null;
        return new HttpAnswer($"{request.Method} {request.RequestUri}", response.StatusCode, body, digest, warning, clock.Elapsed);
    }

    /// <summary>Streams a blob GET through sha256 without keeping it; never throws for a broken transfer.</summary>
    public static async Task<BlobTransfer> ReadBlobAsync(HttpClient http, string repository, string digest, Func<TimeSpan>? clock = null)
    {
        var path = $"v2/{repository}/blobs/{digest}";
        var started = clock?.Invoke() ?? TimeSpan.Zero;
        var elapsed = Stopwatch.StartNew();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long bytes = 0;
        var status = (HttpStatusCode)0;
        try
        {
            using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            status = response.StatusCode;
            await using var body = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[128 * 1024];
            int n;
            while ((n = await body.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                bytes += n;
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            return new BlobTransfer("GET " + path, status, "sha256:" + Convert.ToHexStringLower(hash.GetCurrentHash()), bytes, e, started, elapsed.Elapsed);
        }

        return new BlobTransfer("GET " + path, status, "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()), bytes, null, started, elapsed.Elapsed);
    }

    /// <summary>skopeo copy from an OCI layout to a registry that wants credentials (plain HTTP), keeping digests.</summary>
    public static Task<SkopeoResult> PushWithCredentialsAsync(Skopeo skopeo, string source, string destination, string credentials) =>
        skopeo.RunAsync(
            ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--retry-times", "0", "--preserve-digests",
             "--dest-creds", credentials, source, destination]);

    /// <summary>
    /// Every blob of <paramref name="image"/> is in the OCI layout at <paramref name="layoutRoot"/> with
    /// exactly the right bytes, and the layout's <paramref name="tag"/> is the image's manifest with the
    /// same bytes as <paramref name="expectedManifest"/>.
    /// </summary>
    public static void AssertLayoutHolds(string layoutRoot, string tag, OciImage image, byte[] expectedManifest)
    {
        var pulled = OciLayout.ReadTag(layoutRoot, tag);
        Assert.Equal(image.Manifest.Digest, pulled.Digest);
        AssertLayoutHolds(layoutRoot, image, expectedManifest);
    }

    /// <summary>The layout at <paramref name="layoutRoot"/> holds <paramref name="image"/>'s manifest with the
    /// bytes of <paramref name="expectedManifest"/>, and its config and layers, each with the right bytes.</summary>
    public static void AssertLayoutHolds(string layoutRoot, OciImage image, byte[] expectedManifest)
    {
        Assert.Equal(expectedManifest, File.ReadAllBytes(OciLayout.BlobPath(layoutRoot, image.Manifest.Digest)));
        foreach (var blob in image.Layers.Append(image.Config))
        {
            var path = OciLayout.BlobPath(layoutRoot, blob.Digest);
            Assert.True(File.Exists(path), $"The pulled layout has no blob {blob.Digest}.");
            Assert.Equal(blob.Digest, OciLayout.ComputeFileDigest(path));
            Assert.Equal(blob.Size, new FileInfo(path).Length);
        }
    }

    /// <summary>
    /// Replaces the sandbox's registries.conf with one where <paramref name="primary"/> has
    /// <paramref name="mirror"/> as its mirror, both plain HTTP, as a podman user configures a pull-through
    /// cache in front of a registry.
    /// </summary>
    public static void ConfigureMirror(Podman podman, string primary, string mirror) =>
        File.WriteAllText(podman.Sandbox.RegistriesConfPath, $"""
            [[registry]]
            location = "{primary}"
            insecure = true

            [[registry.mirror]]
            location = "{mirror}"
            insecure = true

            """);

    /// <summary>Polls until <paramref name="condition"/> holds or <paramref name="timeout"/> passes; true if it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }
}
