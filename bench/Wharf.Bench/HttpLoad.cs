using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Wharf.Bench;

internal sealed record LoadResult(double RequestsPerSecond, double P99Ms, long Requests, long Errors)
{
    /// <summary>The median latency, where the loader reports it (the random-path loads of --scale).</summary>
    public double P50Ms { get; init; }
}

/// <summary>
/// A closed-loop HTTP/1.1 load generator in the style of wrk: N keep-alive connections, each
/// sending its next request as soon as the last response is complete, for a fixed time.
/// It exists because wrk cannot do HEAD: its response parser waits for the body that a HEAD
/// response's Content-Length announces but never sends (wg/wrk#198), so every HEAD stalls.
/// It works on raw sockets with one pre-encoded request and one buffer per connection, so its
/// cost per request stays close to wrk's.
/// </summary>
internal static partial class HttpLoad
{
    public static Task<LoadResult> RunAsync(Uri uri, string method, string accept, int connections, TimeSpan duration)
    {
        var request = Encode(uri, uri.PathAndQuery, method, accept);
        return RunAsync(uri, () => request, method != "HEAD", connections, duration);
    }

    /// <summary>Each request for a random one of <paramref name="paths"/> (encoded as it is sent: a
    /// million requests pre-encoded would be a few hundred MB of the client's memory).</summary>
    public static Task<LoadResult> RunAsync(Uri baseUri, IReadOnlyList<string> paths, string method, string accept, int connections, TimeSpan duration) =>
        RunAsync(baseUri, () => Encode(baseUri, paths[Random.Shared.Next(paths.Count)], method, accept), method != "HEAD", connections, duration);

    private static byte[] Encode(Uri uri, string pathAndQuery, string method, string accept) => Encoding.ASCII.GetBytes(
        $"{method} {pathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nAccept: {accept}\r\nUser-Agent: wharf-bench\r\n\r\n");

    private static async Task<LoadResult> RunAsync(Uri uri, Func<byte[]> nextRequest, bool expectBody, int connections, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, connections)
            .Select(_ => Task.Run(() => ConnectionAsync(uri, nextRequest, expectBody, end)))
            .ToArray();
        var results = await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;
        var latencies = results.SelectMany(r => r.Latencies).ToArray();
        Array.Sort(latencies);
        double Ms(double quantile) => latencies.Length == 0 ? 0
            : latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * quantile))] * 1000.0 / Stopwatch.Frequency;
        return new LoadResult(latencies.Length / elapsed.TotalSeconds, Ms(0.99), latencies.Length, results.Sum(r => r.Errors)) { P50Ms = Ms(0.50) };
    }

    private static async Task<(List<long> Latencies, long Errors)> ConnectionAsync(Uri uri, Func<byte[]> nextRequest, bool expectBody, long end)
    {
        var latencies = new List<long>(1 << 16);
        long errors = 0;
        var buffer = new byte[64 << 10];
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(uri.Host, uri.Port);
        while (Stopwatch.GetTimestamp() < end)
        {
            var request = nextRequest();
            var start = Stopwatch.GetTimestamp();
            await socket.SendAsync(request, SocketFlags.None);
            var filled = 0;
            int headerEnd;
            while ((headerEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (filled == buffer.Length)
                {
                    throw new IOException("response headers larger than the buffer");
                }
                filled += await ReceiveAsync(socket, buffer.AsMemory(filled));
            }
            var status = int.Parse(buffer.AsSpan(9, 3), CultureInfo.InvariantCulture);
            if (expectBody)
            {
                var remaining = ContentLength(buffer.AsSpan(0, headerEnd)) - (filled - headerEnd - 4);
                while (remaining > 0)
                {
                    remaining -= await ReceiveAsync(socket, buffer);
                }
                if (remaining < 0)
                {
                    throw new IOException("more bytes than Content-Length: the loader sends one request at a time");
                }
            }
            latencies.Add(Stopwatch.GetTimestamp() - start);
            if (status is < 200 or >= 300)
            {
                errors++;
            }
        }
        return (latencies, errors);
    }

    private static async ValueTask<int> ReceiveAsync(Socket socket, Memory<byte> buffer)
    {
        var read = await socket.ReceiveAsync(buffer, SocketFlags.None);
        return read > 0 ? read : throw new IOException("the server closed a keep-alive connection");
    }

    private static long ContentLength(ReadOnlySpan<byte> headers)
    {
        // Only responses with a body get here (GET of a manifest): a small string is cheap enough.
        var match = ContentLengthHeader().Match(Encoding.ASCII.GetString(headers));
        return match.Success ? long.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture)
            : throw new IOException("response without Content-Length");
    }

    [GeneratedRegex(@"\r\ncontent-length:\s*(\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex ContentLengthHeader();
}

/// <summary>wrk itself, for GETs: requests/s and the p99 of its --latency distribution.</summary>
internal static partial class Wrk
{
    public static Task<LoadResult> RunAsync(Uri uri, string accept, int connections, TimeSpan duration) =>
        RunAsync(uri, accept, connections, duration, script: null);

    /// <summary>wrk with a Lua <paramref name="script"/> (which may choose each request's path).</summary>
    public static async Task<LoadResult> RunAsync(Uri uri, string accept, int connections, TimeSpan duration, string? script)
    {
        var threads = Math.Min(Environment.ProcessorCount, connections);
        string[] scriptArgs = script is null ? [] : ["-s", script];
        var (exit, output) = await Tool.RunAsync("wrk",
            ["-t", $"{threads}", "-c", $"{connections}", "-d", $"{(int)Math.Ceiling(duration.TotalSeconds)}s", "--latency", "-H", $"Accept: {accept}", .. scriptArgs, uri.ToString()],
            duration + TimeSpan.FromSeconds(60));
        if (exit != 0)
        {
            throw new InvalidOperationException($"wrk exited {exit}: {output}");
        }
        var rps = RequestsPerSecond().Match(output);
        var p99 = P99().Match(output);
        var p50 = P50().Match(output);
        var requests = Requests().Match(output);
        if (!rps.Success || !p99.Success || !requests.Success)
        {
            throw new InvalidOperationException($"cannot read wrk's output:\n{output}");
        }
        var non2xx = Non2xx().Match(output);
        return new LoadResult(
            double.Parse(rps.Groups[1].ValueSpan, CultureInfo.InvariantCulture),
            Milliseconds(p99),
            long.Parse(requests.Groups[1].ValueSpan, CultureInfo.InvariantCulture),
            non2xx.Success ? long.Parse(non2xx.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : 0)
        {
            P50Ms = p50.Success ? Milliseconds(p50) : 0,
        };
    }

    private static double Milliseconds(Match latency) =>
        double.Parse(latency.Groups[1].ValueSpan, CultureInfo.InvariantCulture) * latency.Groups[2].Value switch
        {
            "us" => 0.001,
            "ms" => 1.0,
            "s" => 1000.0,
            var u => throw new InvalidOperationException($"unit {u}"),
        };

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline)]
    private static partial Regex P99();

    [GeneratedRegex(@"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline)]
    private static partial Regex P50();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();
}
