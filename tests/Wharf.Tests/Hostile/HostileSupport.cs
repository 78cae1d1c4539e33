using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Wharf.Tests.Api;
using Wharf.Tests.Auth;

namespace Wharf.Tests.Hostile;

/// <summary>What came back for a request written byte for byte on a socket.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] BodyBytes)
{
    public string Body => Encoding.UTF8.GetString(BodyBytes);

    public string? Code => ErrorBody.CodeOf(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public override string ToString() => $"{Status} {Code ?? "(no error code)"} {Body[..Math.Min(Body.Length, 300)]}";
}

/// <summary>
/// HTTP/1.1 over a bare socket: the request line goes out exactly as written (Latin-1, one byte
/// per char), so percent-encodings, dot segments, backslashes and NULs reach the server untouched
/// by any client library's URI normalisation.
/// </summary>
public static class RawHttp
{
    public static async Task<RawResponse> SendAsync(
        Uri server, string method, string target, byte[]? body = null,
        IEnumerable<(string Name, string Value)>? headers = null, bool chunked = false, long? contentLength = null)
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await tcp.ConnectAsync(server.Host, server.Port, timeout.Token);
        var stream = tcp.GetStream();

        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"{method} {target} HTTP/1.1\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Host: {server.Host}:{server.Port}\r\n");
        head.Append("Connection: close\r\n");
        foreach (var (name, value) in headers ?? [])
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }
        if (chunked)
        {
            head.Append("Transfer-Encoding: chunked\r\n");
        }
        else if (contentLength is { } declared)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Length: {declared}\r\n");
        }
        else if (body is not null || method is "POST" or "PUT" or "PATCH")
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body?.Length ?? 0}\r\n");
        }
        head.Append("\r\n");

        // Read while writing: the server may answer (and close) before it has read the whole body.
        var reading = ReadAllAsync(stream, timeout.Token);
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), timeout.Token);
            if (body is not null)
            {
                if (chunked)
                {
                    const int ChunkSize = 64 * 1024;
                    for (var offset = 0; offset < body.Length; offset += ChunkSize)
                    {
                        var length = Math.Min(ChunkSize, body.Length - offset);
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), timeout.Token);
                        await stream.WriteAsync(body.AsMemory(offset, length), timeout.Token);
                        await stream.WriteAsync("\r\n"u8.ToArray(), timeout.Token);
                    }
                    await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), timeout.Token);
                }
                else
                {
                    await stream.WriteAsync(body, timeout.Token);
                }
            }
            await stream.FlushAsync(timeout.Token);
        }
        catch (IOException)
        {
            // The server stopped reading (it had answered already): its answer is what matters.
        }
        return Parse(await reading);
    }

    private static async Task<byte[]> ReadAllAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                buffer.Write(chunk, 0, read);
            }
        }
        catch (IOException) when (buffer.Length > 0)
        {
            // A reset after the response arrived.
        }
        return buffer.ToArray();
    }

    private static RawResponse Parse(byte[] raw)
    {
        var text = Encoding.Latin1.GetString(raw);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"no HTTP response came back (got {raw.Length} bytes)");
        var lines = text[..end].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + value : value;
        }
        var body = raw.AsSpan(end + 4).ToArray();
        if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }
        else if (headers.TryGetValue("Content-Length", out var cl) && long.Parse(cl, CultureInfo.InvariantCulture) < body.Length)
        {
            body = body[..(int)long.Parse(cl, CultureInfo.InvariantCulture)];
        }
        return new RawResponse(status, headers, body);
    }

    private static byte[] Dechunk(byte[] body)
    {
        using var output = new MemoryStream();
        var position = 0;
        while (position < body.Length)
        {
            var lineEnd = Array.IndexOf(body, (byte)'\n', position);
            var size = int.Parse(Encoding.ASCII.GetString(body, position, lineEnd - position).Trim().Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            position = lineEnd + 1;
            if (size == 0)
            {
                break;
            }
            output.Write(body, position, size);
            position += size + 2;
        }
        return output.ToArray();
    }
}

/// <summary>
/// What a hostile request must not change: every file under the storage root with its size (the
/// SQLite files and the generated token key excepted, which change on their own), and what the
/// API says about repositories and tags.
/// </summary>
public sealed record RegistryState(IReadOnlyDictionary<string, long> Files, string Catalog, IReadOnlyDictionary<string, string> Tags)
{
    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal)
    {
        "wharf.db", "wharf.db-wal", "wharf.db-shm", "wharf.db-journal", "token-signing-key.pem",
    };

    public static async Task<RegistryState> CaptureAsync(string storageRoot, HttpClient admin)
    {
        var files = new SortedDictionary<string, long>(StringComparer.Ordinal);
        if (Directory.Exists(storageRoot))
        {
            foreach (var file in Directory.EnumerateFiles(storageRoot, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(storageRoot, file).Replace('\\', '/');
                if (!Ignored.Contains(relative))
                {
                    files[relative] = new FileInfo(file).Length;
                }
            }
        }
        var catalog = await admin.GetStringAsync("/v2/_catalog");
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using (var document = JsonDocument.Parse(catalog))
        {
            foreach (var repository in document.RootElement.GetProperty("repositories").EnumerateArray())
            {
                var name = repository.GetString()!;
                tags[name] = await admin.GetStringAsync($"/v2/{name}/tags/list");
            }
        }
        return new RegistryState(files, catalog, tags);
    }

    public void AssertSame(RegistryState after, string what)
    {
        var added = after.Files.Keys.Except(Files.Keys).ToList();
        var removed = Files.Keys.Except(after.Files.Keys).ToList();
        var resized = Files.Keys.Intersect(after.Files.Keys).Where(k => Files[k] != after.Files[k]).Select(k => $"{k}: {Files[k]} -> {after.Files[k]}").ToList();
        Assert.True(added.Count == 0 && removed.Count == 0 && resized.Count == 0,
            $"{what} changed the storage root: added [{string.Join(", ", added)}] removed [{string.Join(", ", removed)}] resized [{string.Join(", ", resized)}]");
        Assert.True(Catalog == after.Catalog, $"{what} changed the catalog: {Catalog} -> {after.Catalog}");
        Assert.Equal(Tags, after.Tags);
    }
}

/// <summary>Wharf on Kestrel (a real socket, real header limits) with a storage root of its own,
/// seeded with one image (<c>seed/app:v1</c>) and one upload in progress holding 10 bytes.</summary>
public class HostileRegistryFixture : IAsyncLifetime
{
    public const string SeedRepository = "seed/app";

    protected HostileRegistryFixture(params (string Key, string Value)[] settings)
    {
        Factory = new WharfApiFactory(settings);
        Factory.UseKestrel(0);
    }

    public HostileRegistryFixture()
        : this([])
    {
    }

    public WharfApiFactory Factory { get; }

    public Uri Server { get; private set; } = null!;

    public string SeedManifestDigest { get; private set; } = "";

    /// <summary>Location of the seeded upload session (10 bytes received).</summary>
    public string SeedUpload { get; private set; } = "";

    public string SeedUploadId => SeedUpload[(SeedUpload.LastIndexOf('/') + 1)..];

    /// <summary>A client that may read everything, for snapshots and seeding.</summary>
    public virtual HttpClient Admin() => Factory.CreateClient();

    public virtual async Task InitializeAsync()
    {
        using var client = Admin();
        Server = client.BaseAddress!;
        var (_, digest) = await new RegistryClient(client).PushImageAsync(SeedRepository, "v1", "seed");
        SeedManifestDigest = digest;
        using var start = await client.PostAsync($"/v2/{SeedRepository}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        using var patch = await client.PatchAsync(start.Headers.Location!, new ByteArrayContent("0123456789"u8.ToArray()));
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        SeedUpload = patch.Headers.Location!.OriginalString;
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }

    public async Task<RegistryState> StateAsync()
    {
        using var admin = Admin();
        return await RegistryState.CaptureAsync(Factory.StorageRoot, admin);
    }

    /// <summary>A fresh upload session in <paramref name="repository"/> holding <paramref name="bytes"/> bytes.</summary>
    public async Task<string> NewUploadAsync(string repository, int bytes)
    {
        using var client = Admin();
        using var start = await client.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = start.Headers.Location!.OriginalString;
        if (bytes > 0)
        {
            using var patch = await client.PatchAsync(location, new ByteArrayContent(Enumerable.Range(0, bytes).Select(i => (byte)('a' + (i % 26))).ToArray()));
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            location = patch.Headers.Location!.OriginalString;
        }
        return location;
    }
}

/// <summary>Shared checks of the hostile tests.</summary>
public static class Hostile
{
    /// <summary>The exact status and error code, and a body that gives nothing away.</summary>
    public static void AssertRefused(RawResponse response, int status, string? code, string what)
    {
        Assert.True(response.Status == status && response.Code == code,
            $"{what}: expected {status} {code ?? "(no body)"}, got {response}");
        ErrorBody.AssertNothingInternal(response.Body);
        Assert.True(response.BodyBytes.Length < 4096, $"{what}: a {response.BodyBytes.Length}-byte error body");
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A valid OCI image manifest for the seeded image's blobs, written by hand (no
    /// \u002B escapes, so tests can find and damage its parts), so that a refusal can only be
    /// about the hostile part of a request.</summary>
    public static string ValidManifest(string seed = "seed")
    {
        var config = $"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":\"{seed}\"}}";
        var layer = Encoding.UTF8.GetBytes($"layer bytes for {seed}");
        return "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + $"\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{RegistryClient.DigestOf(config)}\",\"size\":{config.Length}}},"
            + $"\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"{RegistryClient.DigestOf(layer)}\",\"size\":{layer.Length}}}]}}";
    }
}
