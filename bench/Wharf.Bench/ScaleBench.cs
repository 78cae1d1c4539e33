using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Wharf.Bench;

/// <summary>
/// <c>bench/run --scale</c> (issue 15): what a request costs on a store of a million manifests
/// against one of a few thousand. Both stores are generated without HTTP (<see cref="ScaleStore"/>);
/// the published Wharf is then started on each in turn and loaded with random requests over the
/// whole store, so that almost every request misses whatever the server caches. Distribution 2.8
/// gets the small store's manifest GETs, for the issue's ratio.
/// </summary>
internal static class ScaleBench
{
    public const string Heading = "## Cost at scale";

    private const int StartSamples = 3;
    private const int TagsListSamples = 20;
    // Distribution's default page. Both stores are walked in pages of this size and compared page
    // for page over full pages: the small store's 201 repositories fill two (--smoke's 21, two of 10).
    private static int CatalogPage(Options options) => options.Smoke ? 10 : 100;
    private const int CatalogWalks = 3;
    private const int CatalogFullPages = 200;

    /// <summary>What one load test measured on one server: the loader's figures, the server's peak
    /// RSS while it ran, and what the server spent per request (CPU time, read and write calls).</summary>
    private sealed record Load(LoadResult Result, double PeakRssMiB, double CpuUsPerRequest, double ReadCallsPerRequest, double WriteCallsPerRequest);

    /// <summary>Every figure of one store.</summary>
    private sealed class Figures
    {
        public double StartupMs { get; set; }
        public double IdleRssMiB { get; set; }
        public Dictionary<string, Load> Loads { get; } = [];
        public double RssAfterGetMiB { get; set; }
        public double RssAfterAllMiB { get; set; }
        public double TagsListMs { get; set; }
        public long TagsListBytes { get; set; }
        public double CatalogMs { get; set; }
        public int CatalogPages { get; set; }
        public double CatalogFullPageMs { get; set; }
        public int CatalogWalks { get; set; }
        public double PeakRssMiB { get; set; }
    }

    private const string GetByTag = "manifest GET by tag";
    private const string GetByDigest = "manifest GET by digest";
    private const string HeadByTag = "manifest HEAD by tag";
    private const string BlobHead = "blob HEAD (config, by digest)";

    public static async Task<int> RunAsync(Options options, Stopwatch runClock, string machine, string loadBefore)
    {
        // SQLite is written on tmpfs while it is built (see ScaleStore); nothing else goes there.
        var scratch = Path.Combine("/dev/shm", "wharf-scale-" + Path.GetFileName(options.WorkDir));
        try
        {
            Console.WriteLine($"== small store: {options.ScaleSmall.Manifests:N0} manifests");
            var stores = options.ScaleStores ?? options.WorkDir;
            Directory.CreateDirectory(stores);
            var small = await ScaleStore.BuildAsync(Path.Combine(stores, "small"), scratch, options.ScaleSmall, Writers);
            Console.WriteLine($"== big store: {options.ScaleBig.Manifests:N0} manifests in {options.ScaleBig.Repositories:N0} repositories");
            var big = await ScaleStore.BuildAsync(Path.Combine(stores, "big"), scratch, options.ScaleBig, Writers);
            Console.WriteLine($"   built in {big.FillTime.TotalSeconds:F0} s ({big.Shape.Manifests / big.FillTime.TotalSeconds:N0} manifests/s), {big.DataMiB:F0} MiB of SQLite");

            // Both stores' files stay in the page cache after they are written (the machine has the
            // RAM to spare): what the big store costs more is the server's work, not the disk's.
            var smallFigures = await MeasureWharfAsync(options, small);
            var bigFigures = await MeasureWharfAsync(options, big);
            var distribution = await MeasureDistributionAsync(options, options.ScaleSmall.Manifests - options.ScaleSmall.TagRepositoryManifests);

            var section = Section(options, machine, loadBefore, big, small, bigFigures, smallFigures, distribution);
            Console.WriteLine();
            Console.WriteLine(section);
            Console.WriteLine($"benchmark took {runClock.Elapsed.TotalSeconds:0} s");
            await ObjectStorage.WriteSectionAsync(options, section, Heading);
            return 0;
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
    }

    /// <summary>Says so when a store was built by an earlier run and reused (--scale-stores): the
    /// servers measured before may have written to it (their leases, secrets, nothing the loads read).</summary>
    private static string Kept(GeneratedStore store) => store.Reused ? "; kept from an earlier run (`--scale-stores`) and reused" : "";

    /// <summary>Writers in parallel: SQLite takes one commit at a time, but the others meanwhile
    /// hash and write their blob files.</summary>
    private const int Writers = 4;

    // --- Wharf ---

    private static async Task<Figures> MeasureWharfAsync(Options options, GeneratedStore store)
    {
        var name = Path.GetFileName(store.Root);
        Console.WriteLine($"== Wharf on the {name} store");
        var figures = new Figures();
        // A store reused from --scale-stores may have left the operating system's cache since it was
        // built (a store built by this run is still in it): read its database once, so every run
        // measures the state right after building, not how fast the disk is.
        var cached = ReadIntoPageCache(store.Root);
        Console.WriteLine($"   read {cached / (1024 * 1024):N0} MiB of SQLite into the page cache");
        // Start-up: a fresh process each time, the median kept; the last one stays for the loads.
        var startups = new List<double>();
        ServerProcess? wharf = null;
        for (var i = 0; i < StartSamples; i++)
        {
            if (wharf is not null)
            {
                await wharf.DisposeAsync();
            }
            wharf = await ServerProcess.StartWharfAsync(options, store.Root, "Wharf", []);
            startups.Add(wharf.StartupTime.TotalMilliseconds);
        }
        await using var server = wharf!;
        figures.StartupMs = Median(startups);
        await Task.Delay(TimeSpan.FromSeconds(2));
        figures.IdleRssMiB = server.StatusMiB("VmRSS");
        Console.WriteLine($"   start-up {figures.StartupMs:F0} ms, idle RSS {figures.IdleRssMiB:F1} MiB");

        // Unmeasured GETs by tag first, the same on both stores: the loads measure the steady state,
        // with the server's caches (and SQLite's) filled as traffic fills them, not their first seconds.
        await WrkAsync(options with { ScaleLoadDuration = options.ScaleWarmup }, server.BaseUri, store.TagPaths);

        var tagPaths = await File.ReadAllLinesAsync(store.TagPaths);
        var blobPaths = await File.ReadAllLinesAsync(store.BlobPaths);
        // Every load runs in each of a few rounds, the four one after another; a load's figures are
        // its round of median rate. On this shared machine one 15 s load can come out 20 % above or
        // below the next one of the same kind, server and store.
        var rounds = new Dictionary<string, List<Load>> { [GetByTag] = [], [GetByDigest] = [], [HeadByTag] = [], [BlobHead] = [] };
        for (var round = 1; round <= options.ScaleRounds; round++)
        {
            Console.WriteLine($"   round {round} of {options.ScaleRounds}");
            rounds[GetByTag].Add(await LoadAsync(server, GetByTag, () => WrkAsync(options, server.BaseUri, store.TagPaths)));
            if (round == 1)
            {
                await Task.Delay(options.ScaleSettle);
                figures.RssAfterGetMiB = server.StatusMiB("VmRSS");
            }
            rounds[GetByDigest].Add(await LoadAsync(server, GetByDigest, () => WrkAsync(options, server.BaseUri, store.DigestPaths)));
            // HEAD under the built-in loader: wrk waits for the body a HEAD's Content-Length announces.
            rounds[HeadByTag].Add(await LoadAsync(server, HeadByTag,
                () => HttpLoad.RunAsync(server.BaseUri, tagPaths, "HEAD", Registry.DockerAccept, options.ScaleConnections, options.ScaleLoadDuration)));
            rounds[BlobHead].Add(await LoadAsync(server, BlobHead,
                () => HttpLoad.RunAsync(server.BaseUri, blobPaths, "HEAD", "*/*", options.ScaleConnections, options.ScaleLoadDuration)));
        }
        foreach (var (title, loads) in rounds)
        {
            figures.Loads[title] = MedianRound(loads);
        }
        await Task.Delay(options.ScaleSettle);
        figures.RssAfterAllMiB = server.StatusMiB("VmRSS");

        using var http = Registry.CreateClient();
        (figures.TagsListMs, figures.TagsListBytes) = await TagsListAsync(http, server.BaseUri, store.Shape.TagRepositoryTags);
        var registry = new Registry(http, server.BaseUri, completesSinglePost: true);
        var walks = new List<(TimeSpan Time, int Pages, int Items)>();
        var pages = new List<(TimeSpan Time, int Items)>();
        // At least a few walks, and enough of them for many full pages (the small store has two a walk).
        while (walks.Count < CatalogWalks || pages.Count(p => p.Items == CatalogPage(options)) < CatalogFullPages)
        {
            walks.Add(await registry.WalkAsync($"/v2/_catalog?n={CatalogPage(options)}", "repositories", int.MaxValue, eachPage: pages));
        }
        if (walks.Any(w => w.Items != store.Shape.Repositories))
        {
            throw new InvalidOperationException($"the catalog walk found {walks[0].Items} repositories, expected {store.Shape.Repositories}");
        }
        figures.CatalogMs = Median([.. walks.Select(w => w.Time.TotalMilliseconds)]);
        figures.CatalogPages = walks[0].Pages;
        figures.CatalogWalks = walks.Count;
        figures.CatalogFullPageMs = Median([.. pages.Where(p => p.Items == CatalogPage(options)).Select(p => p.Time.TotalMilliseconds)]);
        figures.PeakRssMiB = server.StatusMiB("VmHWM");
        Console.WriteLine($"   tags list {figures.TagsListMs:F1} ms, catalog walk {figures.CatalogMs:F0} ms ({figures.CatalogPages} pages), RSS after {figures.RssAfterGetMiB:F0} / {figures.RssAfterAllMiB:F0} MiB");
        return figures;
    }

    /// <summary>The round of median rate, with the highest peak RSS of all the rounds.</summary>
    private static Load MedianRound(List<Load> loads)
    {
        var median = loads.OrderBy(l => l.Result.RequestsPerSecond).ElementAt(loads.Count / 2);
        return median with { PeakRssMiB = loads.Max(l => l.PeakRssMiB) };
    }

    /// <summary>Reads the store's SQLite files (wharf.db and its WAL) from start to end; returns the bytes read.</summary>
    private static long ReadIntoPageCache(string root)
    {
        var buffer = new byte[1 << 20];
        long total = 0;
        foreach (var file in Directory.EnumerateFiles(root, "wharf.db*"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            int n;
            while ((n = stream.Read(buffer)) > 0)
            {
                total += n;
            }
        }
        return total;
    }

    /// <summary>One load test, with the server's peak RSS and its CPU time and system calls per request.</summary>
    private static async Task<Load> LoadAsync(ServerProcess server, string title, Func<Task<LoadResult>> run)
    {
        var (cpuBefore, ioBefore) = (CpuSeconds(server.Pid), IoCounters(server.Pid));
        var sampler = new RssSampler(server.Pid);
        var result = await run();
        var peak = await sampler.StopAsync();
        var (cpuAfter, ioAfter) = (CpuSeconds(server.Pid), IoCounters(server.Pid));
        if (result.Errors > 0)
        {
            throw new InvalidOperationException($"{title}: {result.Errors} of {result.Requests} answers were not 2xx");
        }
        var requests = Math.Max(1, result.Requests);
        var load = new Load(result, peak, (cpuAfter - cpuBefore) * 1e6 / requests,
            (double)(ioAfter.Reads - ioBefore.Reads) / requests, (double)(ioAfter.Writes - ioBefore.Writes) / requests);
        Console.WriteLine(FormattableString.Invariant(
            $"   {title}: {result.RequestsPerSecond:N0} req/s, p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, peak RSS {peak:F0} MiB, {load.CpuUsPerRequest:F0} µs CPU/request"));
        return load;
    }

    /// <summary>wrk, each request a random line of <paramref name="pathsFile"/>.</summary>
    private static async Task<LoadResult> WrkAsync(Options options, Uri baseUri, string pathsFile)
    {
        var script = pathsFile + ".lua";
        // Each wrk thread has a Lua state of its own: each builds every request once, before its
        // first, and seeds its own random numbers. Building a request per request (wrk.format)
        // made wrk's Lua the busiest code on the machine (about a quarter of its CPU, taken from
        // the server's two cores), and the garbage it left made Lua's collector walk the table of
        // a million paths now and then, stalling that thread's 32 connections for tens of
        // milliseconds: most of the p99 measured was wrk's own. With no garbage, it never runs.
        await File.WriteAllTextAsync(script, $$"""
            local requests = {}
            local threads = 0
            function setup(thread)
              threads = threads + 1
              thread:set("seed", threads)
            end
            function init(args)
              local head, tail = wrk.format(nil, "/PATH"):match("^(.-)/PATH(.*)$")
              for line in io.lines("{{pathsFile}}") do requests[#requests + 1] = head .. line .. tail end
              collectgarbage()
              math.randomseed(os.time() * 100 + seed)
            end
            function request()
              return requests[math.random(#requests)]
            end
            """);
        return await Wrk.RunAsync(baseUri, Registry.DockerAccept, options.ScaleConnections, options.ScaleLoadDuration, script);
    }

    /// <summary>The whole tags list of the tag repository, one request at a time: the median time.</summary>
    private static async Task<(double Ms, long Bytes)> TagsListAsync(HttpClient http, Uri baseUri, int expectedTags)
    {
        var uri = new Uri(baseUri, $"/v2/{ScaleStore.TagRepository}/tags/list");
        var times = new List<double>();
        long bytes = 0;
        for (var i = -3; i < TagsListSamples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(uri);
            var body = await response.Content.ReadAsByteArrayAsync();
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"GET {uri}: {(int)response.StatusCode}");
            }
            using var json = JsonDocument.Parse(body);
            var tags = json.RootElement.GetProperty("tags").GetArrayLength();
            if (tags != expectedTags)
            {
                throw new InvalidOperationException($"GET {uri}: {tags} tags, expected {expectedTags} (a page, not the whole list?)");
            }
            bytes = body.Length;
            if (i >= 0)
            {
                times.Add(elapsed.TotalMilliseconds);
            }
        }
        return (Median(times), bytes);
    }

    // --- distribution ---

    /// <summary>Distribution on a store of <paramref name="manifests"/> manifests pushed over HTTP
    /// (ten a repository, a config each and a layer per repository, as in the generated stores),
    /// then the same random manifest GETs by tag.</summary>
    private static async Task<Load> MeasureDistributionAsync(Options options, int manifests)
    {
        Console.WriteLine($"== distribution on {manifests:N0} manifests");
        await using var server = await ServerProcess.StartDistributionAsync(options, Path.Combine(options.WorkDir, "distribution"));
        using var http = Registry.CreateClient();
        var registry = new Registry(http, server.BaseUri, completesSinglePost: false);
        var repositories = Math.Max(1, manifests / 10);
        var pushed = new List<string>[repositories];
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, repositories), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (r, _) =>
        {
            var name = ScaleStore.RepositoryName(r + 1);
            var image = SmallImage.Create(name);
            await registry.PushSmallBlobAsync(name, image.LayerDigest, image.Layer);
            pushed[r] = [];
            for (var n = r; n < manifests; n += repositories)
            {
                var own = image.WithSeed($"{name}:{n}");
                await registry.PushSmallBlobAsync(name, own.ConfigDigest, own.Config);
                await registry.PutManifestAsync(name, $"v{n}", own.Manifest);
                pushed[r].Add($"/v2/{name}/manifests/v{n}");
            }
        });
        Console.WriteLine($"   pushed in {clock.Elapsed.TotalSeconds:F1} s");
        var paths = Path.Combine(options.WorkDir, "distribution.tags");
        await File.WriteAllLinesAsync(paths, pushed.SelectMany(p => p));
        return await LoadAsync(server, GetByTag + " (distribution)", () => WrkAsync(options, server.BaseUri, paths));
    }

    // --- /proc ---

    /// <summary>User and system CPU time of a process so far (/proc/pid/stat, fields 14 and 15, in clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>Read and write system calls of a process so far (/proc/pid/io: sockets and files alike).</summary>
    private static (long Reads, long Writes) IoCounters(int pid)
    {
        long reads = 0, writes = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/io"))
        {
            if (line.StartsWith("syscr:", StringComparison.Ordinal))
            {
                reads = long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("syscw:", StringComparison.Ordinal))
            {
                writes = long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
            }
        }
        return (reads, writes);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    // --- the report ---

    /// <summary>A line of the table: a figure of each store and, for the manifest GET, distribution's.</summary>
    private sealed record Row(string Measure, string Unit, double Big, double Small, double? Distribution = null);

    private static string Section(Options options, string machine, string loadBefore, GeneratedStore big, GeneratedStore small, Figures b, Figures s, Load distribution)
    {
        var rows = new List<Row>
        {
            new("start-up to the first 200 of `GET /v2/`", "ms", b.StartupMs, s.StartupMs),
            new("RSS 2 s after start, idle", "MiB", b.IdleRssMiB, s.IdleRssMiB),
        };
        foreach (var (title, big1) in b.Loads)
        {
            var small1 = s.Loads[title];
            var dist = title == GetByTag ? distribution : null;
            rows.Add(new($"{title}: rate", "req/s", big1.Result.RequestsPerSecond, small1.Result.RequestsPerSecond, dist?.Result.RequestsPerSecond));
            rows.Add(new($"{title}: p50", "ms", big1.Result.P50Ms, small1.Result.P50Ms, dist?.Result.P50Ms));
            rows.Add(new($"{title}: p99", "ms", big1.Result.P99Ms, small1.Result.P99Ms, dist?.Result.P99Ms));
            rows.Add(new($"{title}: server CPU per request", "µs", big1.CpuUsPerRequest, small1.CpuUsPerRequest, dist?.CpuUsPerRequest));
            rows.Add(new($"{title}: server read calls per request", "calls", big1.ReadCallsPerRequest, small1.ReadCallsPerRequest, dist?.ReadCallsPerRequest));
            rows.Add(new($"{title}: server write calls per request", "calls", big1.WriteCallsPerRequest, small1.WriteCallsPerRequest, dist?.WriteCallsPerRequest));
            rows.Add(new($"{title}: peak RSS during the load", "MiB", big1.PeakRssMiB, small1.PeakRssMiB, dist?.PeakRssMiB));
            if (title == GetByTag)
            {
                rows.Add(new($"RSS {options.ScaleSettle.TotalSeconds:F0} s after the GET-by-tag load", "MiB", b.RssAfterGetMiB, s.RssAfterGetMiB));
            }
        }
        rows.Add(new($"RSS {options.ScaleSettle.TotalSeconds:F0} s after the last load (blob HEAD)", "MiB", b.RssAfterAllMiB, s.RssAfterAllMiB));
        rows.Add(new($"tags list of `{ScaleStore.TagRepository}` ({big.Shape.TagRepositoryTags:N0} tags, {b.TagsListBytes:N0} bytes), whole, median", "ms", b.TagsListMs, s.TagsListMs));
        rows.Add(new($"catalog walk, n={CatalogPage(options)} to the end (pages: big {b.CatalogPages}, small {s.CatalogPages}), median of the walks (big {b.CatalogWalks}, small {s.CatalogWalks})", "ms", b.CatalogMs, s.CatalogMs));
        rows.Add(new($"catalog page of {CatalogPage(options)} names, median over the full pages of the walks", "ms", b.CatalogFullPageMs, s.CatalogFullPageMs));
        rows.Add(new("peak RSS over the whole run of the server (VmHWM)", "MiB", b.PeakRssMiB, s.PeakRssMiB));

        var smoke = options.Smoke ? " --smoke (tiny sizes: these numbers mean nothing)" : "";
        var sb = new StringBuilder()
            .AppendLine(Heading)
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"`bench/run --scale`{smoke} (issue 15): Wharf {options.WharfSource} (Native AOT) on SQLite and the filesystem, auth off, request log on (the defaults); load average before {loadBefore}, after {Machine.LoadAverage()}.")
            .AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture,
                $"**Noisy**: the machine is shared (other builds and tests ran on it meanwhile; load average {loadBefore} before the run, on {Environment.ProcessorCount} cores), and wrk, the HEAD loader and the server share its 2 cores: read the ratios more than the absolute rates.")
          .AppendLine()
          .Append(machine)
          .AppendLine()
          .AppendLine(CultureInfo.InvariantCulture,
            $"The stores, generated without HTTP (`ScaleStore`: each blob written as a file into distribution's layout, the metadata through Wharf's own `IMetadataStore` as a push records it: links, then each manifest with its references, two tags `v<n>` and `build-<n>`, and its bytes as `ManifestRecord.Payload`; SQLite built on tmpfs and moved into the data root). " +
            $"Every manifest is an OCI image manifest of {big.AverageManifestBytes:F0} bytes on average (a config of its own, one layer shared within its repository, three annotations); `{ScaleStore.TagRepository}` holds {big.Shape.TagRepositoryManifests:N0} of them under {big.Shape.TagRepositoryTags:N0} tags in both stores.")
          .AppendLine()
          .AppendLine(CultureInfo.InvariantCulture, $"- big: {big.Shape.Manifests:N0} manifests, {big.Shape.Repositories:N0} repositories, {big.Shape.Tags:N0} tags; {big.DataMiB:F0} MiB of SQLite; built in {big.FillTime.TotalSeconds:F0} s ({big.Shape.Manifests / big.FillTime.TotalSeconds:N0} manifests/s, {Writers} writers){Kept(big)}")
          .AppendLine(CultureInfo.InvariantCulture, $"- small: {small.Shape.Manifests:N0} manifests ({small.Shape.Manifests - small.Shape.TagRepositoryManifests:N0} outside `{ScaleStore.TagRepository}`), {small.Shape.Repositories:N0} repositories, {small.Shape.Tags:N0} tags; {small.DataMiB:F1} MiB of SQLite; built in {small.FillTime.TotalSeconds:F1} s{Kept(small)}")
          .AppendLine(CultureInfo.InvariantCulture, $"- distribution: {small.Shape.Manifests - small.Shape.TagRepositoryManifests:N0} manifests of the same shape pushed over HTTP into {Math.Max(1, (small.Shape.Manifests - small.Shape.TagRepositoryManifests) / 10):N0} repositories, one tag each")
          .AppendLine()
          .Append(CultureInfo.InvariantCulture,
            $"Before the loads, the store's SQLite files are read once into the operating system's cache (as they are right after building), and the server gets {options.ScaleWarmup.TotalSeconds:F0} s of unmeasured GETs by tag just before the first load (start-up and idle RSS are measured before that). " +
            $"Each load runs {options.ScaleLoadDuration.TotalSeconds:F0} s at {options.ScaleConnections} connections, every request for a random manifest (or config blob) of the store outside `{ScaleStore.TagRepository}` ({big.Shape.Manifests - big.Shape.TagRepositoryManifests:N0} on the big store, {small.Shape.Manifests - small.Shape.TagRepositoryManifests:N0} on the small one): GETs under wrk (2 threads, a Lua script picking each path among requests it built before the first, so that it leaves no garbage to collect), HEADs under the built-in loader (wrk cannot do HEAD). " +
            $"The four loads run one after another in {options.ScaleRounds} round{(options.ScaleRounds == 1 ? "" : "s")} on each store; each load's figures are those of its round of median rate, its peak RSS the highest of its rounds. ")
          .Append("Peak RSS samples VmRSS every 50 ms during a load; CPU per request is the server's user + system time over the load (/proc/pid/stat) divided by the requests answered; read and write calls are /proc/pid/io's syscr and syscw per request: read(2)/pread(2) and write(2) of files and pipes (the request log), while socket I/O through recvmsg/sendmsg is not counted. ")
          .AppendLine(CultureInfo.InvariantCulture, $"Start-up is from the process's start to the first 200 of `GET /v2/`, the median of {StartSamples} starts.")
          .AppendLine()
          .AppendLine("| measure | unit | big store | small store | big / small | distribution (small) | Wharf small / distribution |")
          .AppendLine("|---|---|--:|--:|--:|--:|--:|");
        foreach (var row in rows)
        {
            var ratio = row.Small == 0 ? "" : (row.Big / row.Small).ToString("F2", CultureInfo.InvariantCulture);
            var dist = row.Distribution is { } d ? Figure(d) : "";
            var vs = row.Distribution is { } d2 && d2 != 0 ? (row.Small / d2).ToString("F2", CultureInfo.InvariantCulture) : "";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {row.Measure} | {row.Unit} | {Figure(row.Big)} | {Figure(row.Small)} | {ratio} | {dist} | {vs} |");
        }
        sb.AppendLine()
          .AppendLine("### Issue 15's targets")
          .AppendLine();
        foreach (var (target, met, measured) in Targets(options, b, s, distribution))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"- {(met ? "met" : "**missed**")}: {target} — {measured}");
        }
        return sb.ToString();
    }

    private static IEnumerable<(string Target, bool Met, string Measured)> Targets(Options options, Figures b, Figures s, Load distribution)
    {
        var (bigGet, smallGet) = (b.Loads[GetByTag].Result, s.Loads[GetByTag].Result);
        string F(FormattableString text) => FormattableString.Invariant(text);
        yield return ("random manifest GET by tag on the big store >= 0.6x the small store's",
            bigGet.RequestsPerSecond >= 0.6 * smallGet.RequestsPerSecond,
            F($"{bigGet.RequestsPerSecond:N0} against {smallGet.RequestsPerSecond:N0} req/s, {bigGet.RequestsPerSecond / smallGet.RequestsPerSecond:F2}x"));
        var distRate = distribution.Result.RequestsPerSecond;
        yield return ("the big store's manifest GET by tag still >= 10x distribution 2.8's on the small store",
            bigGet.RequestsPerSecond >= 10 * distRate,
            F($"{bigGet.RequestsPerSecond:N0} against {distRate:N0} req/s, {bigGet.RequestsPerSecond / distRate:F1}x (the small store's: {smallGet.RequestsPerSecond / distRate:F1}x)"));
        var worstP99 = b.Loads.MaxBy(l => l.Value.Result.P99Ms);
        yield return ("p99 under 10 ms at 64 connections on the big store (every load)", worstP99.Value.Result.P99Ms < 10,
            F($"GET by tag {bigGet.P99Ms:F2} ms; the highest, {worstP99.Key}, {worstP99.Value.Result.P99Ms:F2} ms"));
        yield return ("RSS <= 150 MiB during the random-GET load on the big store", b.Loads[GetByTag].PeakRssMiB <= 150,
            F($"peak {b.Loads[GetByTag].PeakRssMiB:F0} MiB (by digest: {b.Loads[GetByDigest].PeakRssMiB:F0} MiB)"));
        yield return ("RSS back under 100 MiB within 30 s of the load ending", b.RssAfterGetMiB < 100 && b.RssAfterAllMiB < 100,
            F($"{b.RssAfterGetMiB:F0} MiB after the GET-by-tag load, {b.RssAfterAllMiB:F0} MiB after the last load"));
        yield return ("start-up on the big store under 300 ms to the first 200", b.StartupMs < 300,
            F($"{b.StartupMs:F0} ms (small store: {s.StartupMs:F0} ms)"));
        yield return ("tags list on the big store within 1.5x of the small store's", b.TagsListMs <= 1.5 * s.TagsListMs,
            F($"{b.TagsListMs:F1} against {s.TagsListMs:F1} ms, {b.TagsListMs / s.TagsListMs:F2}x"));
        var (bigPage, smallPage) = (b.CatalogFullPageMs, s.CatalogFullPageMs);
        yield return ($"catalog walk on the big store within 1.5x of the small store's, a page of {CatalogPage(options)} names against one (the walk itself is as long as the store is large)",
            bigPage <= 1.5 * smallPage,
            F($"{bigPage:F2} against {smallPage:F2} ms a page, {bigPage / smallPage:F2}x (the whole walk: {b.CatalogPages} pages in {b.CatalogMs:F0} ms)"));
        var (bigHead, smallHead) = (b.Loads[BlobHead].Result.RequestsPerSecond, s.Loads[BlobHead].Result.RequestsPerSecond);
        yield return ("blob HEAD on the big store within 1.5x of the small store's", bigHead * 1.5 >= smallHead,
            F($"{bigHead:N0} against {smallHead:N0} req/s, {bigHead / smallHead:F2}x"));
    }

    private static string Figure(double value) => value switch
    {
        >= 1000 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("F1", CultureInfo.InvariantCulture),
        _ => value.ToString("F2", CultureInfo.InvariantCulture),
    };
}
