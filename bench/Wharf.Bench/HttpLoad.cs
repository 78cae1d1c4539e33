using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Wharf.Bench;

internal sealed record LoadResult(double RequestsPerSecond, double P99Ms, long Requests, long Errors);

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
    public static async Task<LoadResult> RunAsync(Uri uri, string method, string accept, int connections, TimeSpan duration)
    {
        var request = Encoding.ASCII.GetBytes(
            $"{method} {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nAccept: {accept}\r\nUser-Agent: wharf-bench\r\n\r\n");
        var expectBody = method != "HEAD";
        var clock = Stopwatch.StartNew();
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, connections)
            .Select(_ => Task.Run(() => ConnectionAsync(uri, request, expectBody, end)))
            .ToArray();
        var results = await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;
        var latencies = results.SelectMany(r => r.Latencies).ToArray();
        Array.Sort(latencies);
        var p99Ticks = latencies.Length == 0 ? 0 : latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * 0.99))];
        return new LoadResult(latencies.Length / elapsed.TotalSeconds, p99Ticks * 1000.0 / Stopwatch.Frequency,
            latencies.Length, results.Sum(r => r.Errors));
    }

    private static async Task<(List<long> Latencies, long Errors)> ConnectionAsync(Uri uri, byte[] request, bool expectBody, long end)
    {
        var latencies = new List<long>(1 << 16);
        long errors = 0;
        var buffer = new byte[64 << 10];
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(uri.Host, uri.Port);
        while (Stopwatch.GetTimestamp() < end)
        {
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
    public static async Task<LoadResult> RunAsync(Uri uri, string accept, int connections, TimeSpan duration)
    {
        var threads = Math.Min(Environment.ProcessorCount, connections);
        var (exit, output) = await Tool.RunAsync("wrk",
            ["-t", $"{threads}", "-c", $"{connections}", "-d", $"{(int)Math.Ceiling(duration.TotalSeconds)}s", "--latency", "-H", $"Accept: {accept}", uri.ToString()],
            duration + TimeSpan.FromSeconds(30));
        if (exit != 0)
        {
            throw new InvalidOperationException($"wrk exited {exit}: {output}");
        }
        var rps = RequestsPerSecond().Match(output);
        var p99 = P99().Match(output);
        var requests = Requests().Match(output);
        if (!rps.Success || !p99.Success || !requests.Success)
        {
            throw new InvalidOperationException($"cannot read wrk's output:\n{output}");
        }
        var non2xx = Non2xx().Match(output);
        var scale = p99.Groups[2].Value switch { "us" => 0.001, "ms" => 1.0, "s" => 1000.0, var u => throw new InvalidOperationException($"unit {u}") };
        return new LoadResult(
            double.Parse(rps.Groups[1].ValueSpan, CultureInfo.InvariantCulture),
            double.Parse(p99.Groups[1].ValueSpan, CultureInfo.InvariantCulture) * scale,
            long.Parse(requests.Groups[1].ValueSpan, CultureInfo.InvariantCulture),
            non2xx.Success ? long.Parse(non2xx.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : 0);
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline)]
    private static partial Regex P99();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();
}
