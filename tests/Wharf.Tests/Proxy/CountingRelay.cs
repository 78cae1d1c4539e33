using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Wharf.Tests.Proxy;

/// <summary>One request the relay forwarded, with the time (on the relay's own clock) it began and
/// ended and the body bytes it relayed.</summary>
public sealed record RelayedRequest(
    string Method, string PathAndQuery, int Status, TimeSpan Started, TimeSpan Ended, long BodyBytes, bool Corrupted, string? Error)
{
    public override string ToString() =>
        $"{Method} {PathAndQuery} -> {Status} ({BodyBytes} bytes, {Started.TotalMilliseconds:F0}-{Ended.TotalMilliseconds:F0} ms" +
        (Corrupted ? ", one byte flipped" : "") + (Error is null ? "" : ", " + Error) + ")";
}

/// <summary>
/// A plain HTTP forwarder on 127.0.0.1 (a real Kestrel listener) in front of one registry: every
/// request goes on to the upstream and its answer streams back unchanged (no buffering), while the
/// relay records what passed: each request's method, path, status and timing, and GETs of blobs per
/// digest. Two switches for tests: <see cref="CorruptBlobDigest"/> flips one byte in the middle of
/// that blob's body (the length stays right, so only the digest can tell), and
/// <see cref="ThrottleBytesPerSecond"/> slows blob bodies down so that a fetch takes long enough for
/// concurrent clients to overlap it.
/// </summary>
public sealed partial class CountingRelay : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Connection", "Host",
    };

    private readonly Uri _upstream;
    private readonly HttpClient _client;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<RelayedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, int> _activeBlobGets = new();
    private WebApplication? _app;
    private string? _corruptBlobDigest;
    private long _throttle;

    private CountingRelay(Uri upstream, int port)
    {
        _upstream = upstream;
        Port = port;
        _client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public int Port { get; }

    /// <summary>"127.0.0.1:PORT".</summary>
    public string HostPort => $"127.0.0.1:{Port}";

    public string Url => $"http://{HostPort}";

    /// <summary>The relay's clock, the one <see cref="RelayedRequest.Started"/> and <see cref="RelayedRequest.Ended"/> use.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>While set, GETs of this blob ("sha256:...") get one byte of their body flipped.</summary>
    public string? CorruptBlobDigest
    {
        get => Volatile.Read(ref _corruptBlobDigest);
        set => Volatile.Write(ref _corruptBlobDigest, value);
    }

    /// <summary>When above zero, blob bodies are relayed at no more than this many bytes a second.</summary>
    public long ThrottleBytesPerSecond
    {
        get => Interlocked.Read(ref _throttle);
        set => Interlocked.Exchange(ref _throttle, value);
    }

    /// <summary>Every request forwarded so far, in the order they ended. A request is listed once its
    /// last byte was written, which may be a moment after the client read it: poll, do not expect it
    /// the instant a client is done.</summary>
    public IReadOnlyList<RelayedRequest> Requests => [.. _requests];

    /// <summary>Starts a relay to <paramref name="upstream"/> (e.g. http://127.0.0.1:5000) on a free port.</summary>
    public static async Task<CountingRelay> StartAsync(string upstream)
    {
        for (var attempt = 1; ; attempt++)
        {
            var relay = new CountingRelay(new Uri(upstream), FindFreePort());
            try
            {
                await relay.StartListeningAsync();
                return relay;
            }
            catch (IOException) when (attempt < 3)
            {
                // The free port was taken before Kestrel bound it; try another.
                await relay.DisposeAsync();
            }
        }
    }

    /// <summary>GETs of /v2/.../blobs/<paramref name="digest"/> forwarded so far.</summary>
    public int BlobGets(string digest) => Requests.Count(r => r.Method == "GET" && BlobDigestOf(r.PathAndQuery) == digest);

    /// <summary>GETs of /v2/.../blobs/<paramref name="digest"/> being relayed right now.</summary>
    public int ActiveBlobGets(string digest) => _activeBlobGets.TryGetValue(digest, out var count) ? count : 0;

    /// <summary>Requests of any method for /v2/<paramref name="repository"/>/manifests/... forwarded so far.</summary>
    public IReadOnlyList<RelayedRequest> ManifestRequests(string repository) =>
        [.. Requests.Where(r => r.PathAndQuery.StartsWith($"/v2/{repository}/manifests/", StringComparison.Ordinal))];

    /// <summary>Every request, one a line, for failure messages.</summary>
    public string Describe() => string.Join('\n', Requests.Select(r => r.ToString()));

    /// <summary>The digest of a /v2/NAME/blobs/DIGEST path, or null for any other path.</summary>
    public static string? BlobDigestOf(string pathAndQuery)
    {
        var match = BlobPath().Match(pathAndQuery);
        return match.Success ? match.Groups[1].Value : null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }

        _client.Dispose();
    }

    private async Task StartListeningAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, Port);
            k.Limits.MaxRequestBodySize = null;
            k.Limits.MinResponseDataRate = null;
        });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(ForwardAsync);
        await app.StartAsync();
        _app = app;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var started = _clock.Elapsed;
        var pathAndQuery = context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent();
        var method = context.Request.Method;
        var blobDigest = BlobDigestOf(pathAndQuery);
        var corrupt = method == "GET" && blobDigest is not null && blobDigest == CorruptBlobDigest;
        long relayed = 0;
        var status = 0;
        var corrupted = false;
        string? error = null;
        var counted = method == "GET" && blobDigest is not null;
        if (counted)
        {
            _activeBlobGets.AddOrUpdate(blobDigest!, 1, (_, n) => n + 1);
        }

        try
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(_upstream, pathAndQuery));
            var hasBody = context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0;
            if (hasBody)
            {
                request.Content = new StreamContent(context.Request.Body);
            }

            foreach (var (name, values) in context.Request.Headers)
            {
                if (HopByHop.Contains(name))
                {
                    continue;
                }

                if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && request.Content is not null)
                {
                    request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
                }
            }

            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
            status = (int)response.StatusCode;
            context.Response.StatusCode = status;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            if (method == "HEAD")
            {
                return;
            }

            await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
            var length = response.Content.Headers.ContentLength ?? 0;
            var flipAt = corrupt && status == 200 ? Math.Max(0, length / 2) : -1;
            var throttle = blobDigest is null ? 0 : ThrottleBytesPerSecond;
            var sending = Stopwatch.StartNew();
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                if (flipAt >= relayed && flipAt < relayed + n)
                {
                    buffer[flipAt - relayed] ^= 0x5A;
                    corrupted = true;
                }

                if (throttle > 0)
                {
                    var due = TimeSpan.FromSeconds((relayed + n) / (double)throttle);
                    if (due > sending.Elapsed)
                    {
                        await Task.Delay(due - sending.Elapsed, context.RequestAborted);
                    }
                }

                await context.Response.Body.WriteAsync(buffer.AsMemory(0, n), context.RequestAborted);
                relayed += n;
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            error = e.GetType().Name + ": " + e.Message;
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status502BadGateway;
                status = 502;
            }
            else
            {
                context.Abort();
            }
        }
        finally
        {
            if (counted)
            {
                _activeBlobGets.AddOrUpdate(blobDigest!, 0, (_, n) => n - 1);
            }

            _requests.Enqueue(new RelayedRequest(method, pathAndQuery, status, started, _clock.Elapsed, relayed, corrupted, error));
        }
    }

    private static int FindFreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    [GeneratedRegex("^/v2/.+/blobs/(sha256:[0-9a-f]{64})(\\?.*)?$")]
    private static partial Regex BlobPath();
}
