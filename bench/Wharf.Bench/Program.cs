using System.Globalization;
using System.Text;
using Wharf.Bench;
using Wharf.Bench.Workloads;

// The benchmark of issue 4: Wharf against CNCF distribution 2.8 (and, where there is one, a
// limit) on this machine, over loopback. bench/run builds everything and calls this.
var options = Options.Parse(args);
var results = new Results();
var runClock = System.Diagnostics.Stopwatch.StartNew();
var loadAtStart = Machine.LoadAverage();
var loadBefore = options.LoadBefore.Length > 0 ? options.LoadBefore : loadAtStart;
var machine = await Machine.DescribeAsync();
Console.WriteLine(machine);

if (options.Gc)
{
    // bench/run --gc: garbage collection at scale and beside pushes; its own part of the report.
    return await GcBench.RunAsync(options, runClock, machine, loadBefore);
}
if (options.Overhead)
{
    // bench/run --overhead: what metrics and the request log cost; its own part of the report.
    return await OverheadBench.RunAsync(options, runClock, machine, loadBefore);
}
if (options.Proxy)
{
    // bench/run --proxy: the pull-through cache against pulling directly; its own part of the report.
    return await ProxyBench.RunAsync(options, runClock, machine, loadBefore);
}
if (options.Scale)
{
    // bench/run --scale: a large store generated without HTTP, against a small one; its own part of the report.
    return await ScaleBench.RunAsync(options, runClock, machine, loadBefore);
}
if (options.Ui)
{
    // bench/run --ui: the web UI's listings on a large store; its own part of the report.
    return await UiBench.RunAsync(options, runClock, machine, loadBefore);
}

// The big blob: random bytes in a file that nginx serves and every push reads.
var www = Path.Combine(options.WorkDir, "www");
Directory.CreateDirectory(www);
var blobPath = Path.Combine(www, "blob.bin");
await WriteRandomFileAsync(blobPath, options.BlobSize);
await File.WriteAllTextAsync(Path.Combine(www, "ready.txt"), "ok\n");

if (options.S3)
{
    // bench/run --s3: the object-storage section alone; it rewrites only its own part of the report.
    return await ObjectStorage.RunAsync(options, runClock, blobPath, machine, loadBefore);
}

if (options.Selected(Startup.Title))
{
    Console.WriteLine($"== {Startup.Title}");
    await Startup.RunAsync(options, results);
}

var servers = new List<ServerProcess>();
try
{
    var data = Path.Combine(options.WorkDir, "data");
    var wharf = await ServerProcess.StartWharfAsync(options, Path.Combine(data, "wharf"));
    servers.Add(wharf);
    var distribution = await ServerProcess.StartDistributionAsync(options, Path.Combine(data, "distribution"));
    servers.Add(distribution);
    var nginx = await ServerProcess.StartNginxAsync(options, Path.Combine(options.WorkDir, "nginx"), www, "ready.txt");
    servers.Add(nginx);

    using var http = Registry.CreateClient();
    var bigFile = BlobSource.OpenFile(blobPath);
    var (bigBlob, _) = await Blob.CreateAsync(bigFile, nonce: null);
    var image = SmallImage.Create("bench");
    Target[] targets =
    [
        new(Results.Wharf, wharf, new Registry(http, wharf.BaseUri, completesSinglePost: true)),
        new(Results.Distribution, distribution, new Registry(http, distribution.BaseUri, completesSinglePost: false)),
    ];

    // What the read workloads read: the big blob as it is, and one small image.
    foreach (var target in targets)
    {
        await target.Registry.PushMonolithicAsync(Bench.PullRepository, bigBlob);
        await target.Registry.PushSmallBlobAsync(Bench.SmallRepository, image.ConfigDigest, image.Config);
        await target.Registry.PushSmallBlobAsync(Bench.SmallRepository, image.LayerDigest, image.Layer);
        await target.Registry.PutManifestAsync(Bench.SmallRepository, Bench.SmallTag, image.Manifest);
    }

    var bench = new Bench
    {
        Options = options,
        Results = results,
        Http = http,
        BigFile = bigFile,
        BigBlob = bigBlob,
        NginxBlobUrl = new Uri(nginx.BaseUri, "blob.bin"),
        Image = image,
    };
    Workload[] workloads =
    [
        new BlobPush(bench, chunked: false),
        new BlobPush(bench, chunked: true),
        new BlobPull(bench),
        new RangePull(bench),
        new SmallRequests(bench),
        new Listings(bench),
        new ConcurrentPush(bench),
        new SkopeoPush(bench),
    ];
    foreach (var workload in workloads.Where(w => options.Selected(w.Title)))
    {
        await RunWorkloadAsync(workload, targets);
    }

    // 9: the peak over the whole run, start and every workload included.
    foreach (var target in targets)
    {
        results.Add("whole run", "peak RSS (VmHWM)", "MiB", target.Name, target.Server.StatusMiB("VmHWM"));
    }
}
finally
{
    foreach (var server in servers)
    {
        await server.DisposeAsync();
    }
}

var report = Report(options, results, machine, loadBefore, Machine.LoadAverage());
Console.WriteLine();
Console.WriteLine(report);
Console.WriteLine($"benchmark took {runClock.Elapsed.TotalSeconds:0} s");
if (options.OutFile is not null)
{
    // The object-storage, garbage collection, overhead, pull-through cache, web UI and scale sections come
    // from `bench/run --s3`, `--gc`, `--overhead`, `--proxy`, `--ui` and `--scale`: kept as they were, before the analysis.
    if (File.Exists(options.OutFile))
    {
        var old = await File.ReadAllTextAsync(options.OutFile);
        var analysis = options.AnalysisFile is { } a && File.Exists(a) ? await File.ReadAllTextAsync(a) : null;
        foreach (var heading in new[] { ObjectStorage.Heading, GcBench.Heading, OverheadBench.Heading, ProxyBench.Heading, UiBench.Heading, ScaleBench.Heading })
        {
            ObjectStorage.Without(old, out var kept, heading);
            if (kept is not null)
            {
                report = ObjectStorage.WithSection(report, kept, analysis, heading);
            }
        }
    }
    await File.WriteAllTextAsync(options.OutFile, report);
    Console.WriteLine($"written to {options.OutFile}");
}
return results.Errors.Count == 0 ? 0 : 1;

async Task RunWorkloadAsync(Workload workload, Target[] targets)
{
    Console.WriteLine($"== {workload.Title} (at {runClock.Elapsed.TotalSeconds:0} s)");
    var prepared = new List<Target>();
    foreach (var target in targets)
    {
        try
        {
            await workload.PrepareAsync(target);
            prepared.Add(target);
        }
        catch (Exception e)
        {
            results.Error(workload.Title + " (setup)", target.Name, e);
        }
    }
    // A B A B: the servers take turns, so a slow spell on the machine falls on both.
    for (var round = 1; round <= workload.Rounds; round++)
    {
        Console.WriteLine($"  round {round}");
        foreach (var target in prepared)
        {
            try
            {
                await workload.RunAsync(target, round);
            }
            catch (Exception e)
            {
                results.Error(workload.Title, target.Name, e);
            }
        }
        try
        {
            await workload.RunLimitAsync(round);
        }
        catch (Exception e)
        {
            results.Error(workload.Title, Results.Limit, e);
        }
    }
}

static async Task WriteRandomFileAsync(string path, long size)
{
    var buffer = new byte[Blob.BufferSize];
    await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 0);
    for (long written = 0; written < size; written += buffer.Length)
    {
        Random.Shared.NextBytes(buffer);
        await file.WriteAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - written)));
    }
}

static string Report(Options options, Results results, string machine, string loadBefore, string loadAfter)
{
    var sb = new StringBuilder();
    sb.AppendLine("# Benchmarks");
    sb.AppendLine();
    // An idle machine sits near 0; above 0.5 something else was using a good part of a core.
    if (Machine.OneMinuteLoad(loadBefore) > 0.5)
    {
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"**Preliminary run**: taken while the machine was busy with other work (load average {loadBefore} just before it, on {Environment.ProcessorCount} cores), so every number is noisy. Re-run `bench/run` on an idle machine for numbers to rely on.");
        sb.AppendLine();
    }
    sb.AppendLine(CultureInfo.InvariantCulture,
        $"Wharf against CNCF distribution 2.8 on one machine over loopback, written by `bench/run`{(options.Smoke ? " --smoke (tiny sizes: these numbers mean nothing)" : "")}. " +
        $"Each cell is the median of its samples: {options.Rounds} rounds (the load tests and skopeo {options.LongRounds}), the servers taking turns A B A B.");
    sb.AppendLine();
    sb.AppendLine("## Machine");
    sb.AppendLine();
    sb.Append(machine);
    sb.AppendLine(CultureInfo.InvariantCulture, $"- Wharf: published in Release (Native AOT) from {options.WharfSource}");
    sb.AppendLine(CultureInfo.InvariantCulture, $"- load average (1, 5, 15 min): {loadBefore} before the run, {loadAfter} after it");
    sb.AppendLine();
    sb.AppendLine("## Results");
    sb.AppendLine();
    sb.Append(results.Table());
    sb.AppendLine();
    sb.AppendLine("Higher is better for MB/s, req/s, PUT/s, repos/s and images/s; lower is better for ms and MiB. " +
        "MB is 10^6 bytes. A ratio above 1 means Wharf's number is the larger.");
    sb.AppendLine();
    sb.AppendLine("## How it was measured");
    sb.AppendLine();
    sb.AppendLine("""
        - Client and servers share the machine's cores: every request is over 127.0.0.1, and the clients (an HttpClient with SocketsHttpHandler streaming from 1 MiB pooled buffers, wrk, skopeo) use CPU the server then cannot.
        - Every timed push is a blob the server has not seen: its first 16 bytes are replaced by a nonce (a server may skip work, such as an fsync, for a blob it already holds). The big blob's bytes come from a file in the page cache.
        - Monolithic push: Wharf takes `POST /blobs/uploads/?digest=` with the body. Distribution 2.8 answers that POST 202 with a session and does not complete the upload, so it gets `POST` then `PUT ?digest=` with the body. Chunked push: PATCHes with `Content-Range`, following the returned Location each time, then `PUT ?digest=` without body.
        - The push limit is one core's SHA-256 (.NET `IncrementalHash`, OpenSSL underneath, SHA instructions) over the same bytes read in 1 MiB pieces: a registry must at least hash every byte. The pull and range limits are nginx serving the same file with sendfile.
        - Small requests: `Accept` is what docker sends. GET runs under wrk (2 threads). wrk cannot load HEAD (its parser waits for the body a HEAD response's Content-Length announces; wg/wrk#198), so HEADs run under a built-in closed-loop loader (raw keep-alive sockets, one request in flight per connection, like wrk); GET runs under it too, to compare the two loaders.
        - Listings are populated through the API, 8 requests at a time: one manifest PUT under every tag; for each repository, a cross-repository mount of the config blob and a PUT of a manifest with that config and no layers.
        - Distribution runs with the configuration of the `registry:2` image (filesystem storage, in-memory blob descriptor cache), deletes enabled, access log off. Wharf runs as published in Release (Native AOT, `dotnet publish src/Wharf -c Release -r linux-x64`), with its defaults.
        - Peak RSS during the concurrent push samples VmRSS every 50 ms; the whole-run peak is VmHWM of the long-lived server (the start measurements use separate processes).
        - nginx runs with `sendfile on` and without `tcp_nopush`: with it, each 64 KiB range response on a keep-alive connection waited about 40 ms for the client's delayed ACK (about 200 ranges/s instead of thousands).

        ## Distribution 2.8.2 as measured by hand while writing this benchmark

        - A single `POST ?digest=` with the body is answered 202 with an upload session, not 201 (see above). The tags list ignores `n` and `last` and returns every tag at once; the catalog honours them.
        - It allocates about 350–400 KB per request even for `GET /v2/` (`GODEBUG=gctrace=1`: about 100 collections of about 2 MB each for 500 sequential requests, with this configuration or a minimal one), so on 2 cores its small-request throughput is bound by its garbage collector.
        - Each range GET of a blob grows its heap by about 4 MB (70 collections for 100 sequential 64 KiB ranges), as a 4 MiB read buffer per request would; that is why its range rate is far below nginx's and Wharf's.
        """);
    var notes = results.Notes();
    if (notes.Length > 0)
    {
        sb.AppendLine();
        sb.AppendLine("## Notes from this run");
        sb.AppendLine();
        sb.Append(notes);
    }
    // The analysis is written by hand from profiles of an earlier run; it is read at the end of the
    // run so that this run's table and the text that explains it land in one file.
    if (options.AnalysisFile is { } analysis && File.Exists(analysis))
    {
        sb.AppendLine();
        sb.Append(File.ReadAllText(analysis));
    }
    return sb.ToString();
}
