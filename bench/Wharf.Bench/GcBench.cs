using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Wharf.Bench;

/// <summary>
/// <c>bench/run --gc</c>: garbage collection's two targets. (1) <c>wharf gc --dry-run</c> on a
/// store of 10,000 blobs in 1,000 repositories, beside the running server, in under 10 s; then the
/// real collection. (2) What collecting costs pushes: clients push images and delete the ones
/// before for a while, against a server with its collector off and one with it reviewing every
/// 100 ms two seconds after each event, in alternating rounds; the push throughput of the two.
/// </summary>
internal static class GcBench
{
    public const string Heading = "## Garbage collection";

    public static async Task<int> RunAsync(Options options, Stopwatch runClock, string machine, string loadBefore)
    {
        var repositories = options.Smoke ? 50 : 1000;
        var lines = new List<string>();
        var (dryRun, collect) = await DryRunAtScaleAsync(options, repositories, lines);
        var (off, on) = await PushBesideGcAsync(options, lines);
        var ratio = on / off;
        var section = new StringBuilder()
            .AppendLine(Heading)
            .AppendLine()
            .AppendLine($"`bench/run --gc`: Wharf {options.WharfSource} (Native AOT) on SQLite and the filesystem; load average before {loadBefore}, after {Machine.LoadAverage()}.")
            .AppendLine()
            .AppendLine(machine)
            .AppendLine()
            .AppendLine("| what | result | target |")
            .AppendLine("|---|---|---|")
            .AppendLine(CultureInfo.InvariantCulture, $"| `wharf gc --dry-run`, {repositories * 10:N0} blobs in {repositories:N0} repositories, server running | {dryRun.TotalSeconds:F2} s | < 10 s |")
            .AppendLine(CultureInfo.InvariantCulture, $"| `wharf gc` (the same store, collecting what the dry run listed) | {collect.TotalSeconds:F2} s | |")
            .AppendLine(CultureInfo.InvariantCulture, $"| push throughput with the collector on / off (median of {Rounds(options)} alternating rounds) | {ratio:F2} ({on:F0} / {off:F0} images/s) | ≥ 0.90 |")
            .AppendLine()
            .AppendLine("Details:")
            .AppendLine()
            .AppendJoin('\n', lines.Select(l => "- " + l))
            .AppendLine()
            .AppendLine()
            .AppendLine("On SQLite the collector shares the single writer with the pushes: each review is a short transaction queued behind theirs, so")
            .AppendLine("during a burst it takes what the pushes leave (the blobs above) and the rest waits in the queue, which it works through")
            .AppendLine("once the burst ends (alone it reviews the 1,000 candidates of `wharf gc` above in the time shown, start-up included).")
            .ToString();
        Console.WriteLine();
        Console.WriteLine(section);
        Console.WriteLine($"benchmark took {runClock.Elapsed.TotalSeconds:0} s");
        await ObjectStorage.WriteSectionAsync(options, section, Heading);
        return 0;
    }

    private static int Rounds(Options options) => options.Smoke ? 1 : 3;

    // --- (1) the dry run on a large store ---

    private static async Task<(TimeSpan DryRun, TimeSpan Collect)> DryRunAtScaleAsync(Options options, int repositories, List<string> lines)
    {
        var data = Path.Combine(options.WorkDir, "gc-scale");
        await using var wharf = await ServerProcess.StartWharfAsync(options, data, "Wharf", ["--Gc:Enabled", "false"]);
        using var http = Registry.CreateClient();
        var clock = Stopwatch.StartNew();
        // Each repository: one image of a config and eight layers of its own (ten blobs with the
        // manifest); every tenth image is deleted again, which leaves its ten blobs unused.
        await Parallel.ForEachAsync(Enumerable.Range(0, repositories), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (r, ct) =>
        {
            var repository = $"scale/r{r:D4}";
            var image = LayeredImage.Create($"scale {r}", layers: 8, layerBytes: 2048);
            await image.PushAsync(http, wharf.BaseUri, repository, "v1");
            if (r % 10 == 0)
            {
                using var deleted = await http.DeleteAsync(new Uri(wharf.BaseUri, $"/v2/{repository}/manifests/{image.Digest}"), ct);
                deleted.EnsureSuccessStatusCode();
            }
        });
        lines.Add($"Store built through the API in {clock.Elapsed.TotalSeconds:F1} s: {repositories} repositories, {repositories * 10} blobs; {repositories / 10} images deleted again.");

        string[] settings = ["--Storage:Root", data, "--Gc:ReviewDelay", "00:00:00"];
        var (dryRun, dryOutput) = await RunWharfAsync(options, ["gc", "--dry-run", .. settings]);
        lines.Add($"`wharf gc --dry-run`: {dryRun.TotalSeconds:F2} s; it printed: \"{LastLines(dryOutput, 3)}\"");
        var (collect, collectOutput) = await RunWharfAsync(options, ["gc", .. settings]);
        lines.Add($"`wharf gc`: {collect.TotalSeconds:F2} s; it printed: \"{LastLines(collectOutput, 2)}\"");
        return (dryRun, collect);
    }

    private static async Task<(TimeSpan Elapsed, string Output)> RunWharfAsync(Options options, string[] arguments)
    {
        var native = !options.WharfDll.EndsWith(".dll", StringComparison.Ordinal);
        var start = new ProcessStartInfo(native ? options.WharfDll : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in native ? arguments : [options.WharfDll, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = clock.Elapsed;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"wharf {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
        }
        return (elapsed, await output);
    }

    private static string LastLines(string text, int count) =>
        string.Join(" / ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(count).Select(l => l.Trim()));

    // --- (2) pushes beside the collector ---

    private static async Task<(double Off, double On)> PushBesideGcAsync(Options options, List<string> lines)
    {
        var duration = options.Smoke ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10);
        const int clients = 16;
        var off = new List<double>();
        var on = new List<double>();
        long collected = 0, freed = 0, totalPushed = 0;
        for (var round = 0; round < Rounds(options); round++)
        {
            foreach (var gc in new[] { false, true })
            {
                var data = Path.Combine(options.WorkDir, $"gc-push-{round}-{(gc ? "on" : "off")}");
                string[] settings = gc
                    ? ["--Gc:ReviewDelay", "00:00:02", "--Gc:Interval", "00:00:00.1"]
                    : ["--Gc:Enabled", "false"];
                await using var wharf = await ServerProcess.StartWharfAsync(options, data, "Wharf", settings);
                using var http = Registry.CreateClient();
                var pushed = 0;
                var until = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
                {
                    LayeredImage? previous = null;
                    for (var n = 0; until.Elapsed < duration; n++)
                    {
                        var repository = $"push/c{c}";
                        var image = LayeredImage.Create($"push {round} {c} {n}", layers: 2, layerBytes: 256 * 1024);
                        await image.PushAsync(http, wharf.BaseUri, repository, $"n{n}");
                        Interlocked.Increment(ref pushed);
                        if (previous is not null)
                        {
                            // The image before is deleted: garbage for the collector, two seconds on.
                            using var deleted = await http.DeleteAsync(new Uri(wharf.BaseUri, $"/v2/{repository}/manifests/{previous.Digest}"));
                            deleted.EnsureSuccessStatusCode();
                        }
                        previous = image;
                    }
                })));
                var rate = pushed / until.Elapsed.TotalSeconds;
                (gc ? on : off).Add(rate);
                if (gc)
                {
                    // What the collector did meanwhile, as its admin endpoint reports it.
                    using var report = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri(wharf.BaseUri, "/wharf/gc")));
                    var done = report.RootElement.GetProperty("collector").GetProperty("sinceStart");
                    collected += done.GetProperty("blobsDeleted").GetInt64();
                    freed += done.GetProperty("bytesFreed").GetInt64();
                    totalPushed += pushed;
                }
                Console.WriteLine($"  round {round + 1}, collector {(gc ? "on" : "off")}: {rate:F0} images/s");
            }
        }
        lines.Add($"Pushes: {clients} clients, each pushing images of a config and two 256 KiB layers to its own repository and deleting the image before, {duration.TotalSeconds:F0} s a round. " +
            $"Collector off: {string.Join(", ", off.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))} images/s; on (Gc:ReviewDelay 2 s, Gc:Interval 100 ms): {string.Join(", ", on.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))} images/s; " +
            $"with the collector on, {totalPushed} images were pushed (each deleted again but the last of each client) and the collector deleted {collected} blobs ({freed / (1024.0 * 1024):F0} MiB) while they ran.");
        return (LayeredImage.Median(off), LayeredImage.Median(on));
    }
}
