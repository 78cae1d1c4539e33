using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Wharf.Bench;

/// <summary>
/// <c>bench/run --overhead</c>: what watching the registry costs. The same server (Native AOT,
/// SQLite and the filesystem) runs bare (no metrics, request log off) and observed (<c>/metrics</c>
/// on its own listener, scraped every second as Prometheus would, and the request log at
/// Information, one line per request to a file), in alternating rounds; the manifest-GET rate
/// and the push throughput of the two.
/// </summary>
internal static class OverheadBench
{
    public const string Heading = "## Observability overhead";


    public static async Task<int> RunAsync(Options options, Stopwatch runClock, string machine, string loadBefore)
    {
        var rounds = options.Smoke ? 1 : 5;
        var getDuration = options.Smoke ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(8);
        var pushDuration = options.Smoke ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(8);
        var gets = (Bare: new List<double>(), Observed: new List<double>());
        var pushes = (Bare: new List<double>(), Observed: new List<double>());
        long logLines = 0;
        for (var round = 0; round < rounds; round++)
        {
            // Alternating which goes first cancels a drift of the machine over a round.
            foreach (var observed in round % 2 == 0 ? new[] { false, true } : [true, false])
            {
                var data = Path.Combine(options.WorkDir, $"overhead-{round}-{(observed ? "observed" : "bare")}");
                var metricsPort = ServerProcess.FreePort();
                string[] settings = observed
                    ? ["--Metrics:Urls", $"http://127.0.0.1:{metricsPort}", "--Gc:Enabled", "false"]
                    : ["--Logging:LogLevel:Wharf.Requests", "Warning", "--Gc:Enabled", "false"];
                await using var wharf = await ServerProcess.StartWharfAsync(options, data, "Wharf", settings);
                using var http = Registry.CreateClient();
                using var scraping = new CancellationTokenSource();
                var scraper = observed ? ScrapeAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"), scraping.Token) : Task.CompletedTask;

                var image = LayeredImage.Create($"overhead {round}", layers: 1, layerBytes: 4096);
                await image.PushAsync(http, wharf.BaseUri, "overhead/get", "latest");
                var get = await HttpLoad.RunAsync(new Uri(wharf.BaseUri, "/v2/overhead/get/manifests/latest"), "GET", LayeredImage.ManifestType, 32, getDuration);
                if (get.Errors > 0)
                {
                    throw new InvalidOperationException($"{get.Errors} manifest GETs failed");
                }
                var pushRate = await PushForAsync(http, wharf.BaseUri, $"{round} {observed}", pushDuration);

                await scraping.CancelAsync();
                await scraper;
                (observed ? gets.Observed : gets.Bare).Add(get.RequestsPerSecond);
                (observed ? pushes.Observed : pushes.Bare).Add(pushRate);
                if (observed && File.Exists(data + ".log"))
                {
                    logLines = File.ReadLines(data + ".log").LongCount(l => l.Contains("Wharf.Requests", StringComparison.Ordinal));
                }
                Console.WriteLine($"  round {round + 1}, {(observed ? "observed" : "bare")}: {get.RequestsPerSecond:F0} manifest GETs/s, {pushRate:F1} MiB/s pushed");
            }
        }
        var getRatio = LayeredImage.Median(gets.Observed) / LayeredImage.Median(gets.Bare);
        var pushRatio = LayeredImage.Median(pushes.Observed) / LayeredImage.Median(pushes.Bare);
        static string List(List<double> values, string format) => string.Join(", ", values.Select(v => v.ToString(format, CultureInfo.InvariantCulture)));
        var section = new StringBuilder()
            .AppendLine(Heading)
            .AppendLine()
            .AppendLine($"`bench/run --overhead`: Wharf {options.WharfSource} (Native AOT) on SQLite and the filesystem; load average before {loadBefore}, after {Machine.LoadAverage()}.")
            .AppendLine()
            .AppendLine(machine)
            .AppendLine()
            .AppendLine("Bare: no metrics, request log off (`Logging:LogLevel:Wharf.Requests: Warning`). Observed: `Metrics:Urls` set and scraped every second, request log on (one line per request, written to a file).")
            .AppendLine()
            .AppendLine("| what | bare | observed | observed / bare | target |")
            .AppendLine("|---|---|---|---|---|")
            .AppendLine(CultureInfo.InvariantCulture, $"| manifest GET by tag, 32 connections (requests/s, median of {rounds}) | {LayeredImage.Median(gets.Bare):F0} | {LayeredImage.Median(gets.Observed):F0} | {getRatio:F3} | ≥ 0.90 |")
            .AppendLine(CultureInfo.InvariantCulture, $"| push, 4 clients, images of two 4 MiB layers (MiB/s, median of {rounds}) | {LayeredImage.Median(pushes.Bare):F1} | {LayeredImage.Median(pushes.Observed):F1} | {pushRatio:F3} | ≥ 0.97 |")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Every round: bare {List(gets.Bare, "F0")} and observed {List(gets.Observed, "F0")} GETs/s; bare {List(pushes.Bare, "F1")} and observed {List(pushes.Observed, "F1")} MiB/s. The last observed server wrote {logLines:N0} request log lines.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Push is bound by the disk's durable writes: its rounds of one configuration spread over {Spread(pushes.Bare):P0} (bare) and {Spread(pushes.Observed):P0} (observed) of their median, more than the difference between the two, so its ratio is within noise; the GET rounds spread over {Spread(gets.Bare):P0} and {Spread(gets.Observed):P0}.")
            .ToString();
        Console.WriteLine();
        Console.WriteLine(section);
        Console.WriteLine($"benchmark took {runClock.Elapsed.TotalSeconds:0} s");
        await ObjectStorage.WriteSectionAsync(options, section, Heading);
        return 0;
    }

    private static double Spread(List<double> values) => (values.Max() - values.Min()) / LayeredImage.Median(values);

    private static async Task ScrapeAsync(Uri metrics, CancellationToken cancellationToken)
    {
        using var client = new HttpClient();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                (await client.GetAsync(metrics, cancellationToken)).EnsureSuccessStatusCode();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Four clients push images of a config and two 4 MiB layers of fresh bytes each, to
    /// repositories of their own, for <paramref name="duration"/>; MiB/s of layers pushed.</summary>
    private static async Task<double> PushForAsync(HttpClient http, Uri baseUri, string seed, TimeSpan duration)
    {
        const int clients = 4;
        const int layerBytes = 4 << 20;
        long bytes = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            for (var n = 0; clock.Elapsed < duration; n++)
            {
                var image = LayeredImage.Create($"{seed} {c} {n}", layers: 2, layerBytes, random: true);
                await image.PushAsync(http, baseUri, $"overhead/push{c}", $"n{n}");
                Interlocked.Add(ref bytes, 2L * layerBytes);
            }
        })));
        return bytes / (1024.0 * 1024) / clock.Elapsed.TotalSeconds;
    }
}
