using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Wharf.Storage.S3;

namespace Wharf.Bench;

/// <summary>
/// <c>bench/run --s3</c>: Wharf with its blobs in S3 (Ceph RGW) and its metadata in PostgreSQL,
/// against the AWS SDK talking to the same RGW directly (what Wharf adds on top of the engine),
/// CNCF distribution 2.8's S3 driver on the same RGW, and Wharf on SQLite and the filesystem (what
/// the shared engines cost a small request). Everything on this machine, over loopback; the
/// engines come from scripts/rgw and scripts/postgres and are stopped again at the end.
/// </summary>
internal sealed class ObjectStorage
{
    public const string Heading = "## Object storage and PostgreSQL";

    private const string Sdk = "AWS SDK direct";
    private const string WharfBucket = "bench-wharf";
    private const string DistributionBucket = "bench-distribution";
    private const string PullRepository = "bench/pull";
    private const string SmallRepository = "bench/small";
    private const string SmallTag = "latest";

    private readonly Options options;
    private readonly Results results = new();
    private readonly Stopwatch runClock;
    private readonly BlobSource bigFile;
    private readonly byte[] readBuffer = new byte[Blob.BufferSize];
    private readonly List<string> engineVersions = [];

    private ObjectStorage(Options options, Stopwatch runClock, BlobSource bigFile)
    {
        this.options = options;
        this.runClock = runClock;
        this.bigFile = bigFile;
    }

    public static async Task<int> RunAsync(Options options, Stopwatch runClock, string blobPath, string machine, string loadBefore)
    {
        var suite = new ObjectStorage(options, runClock, BlobSource.OpenFile(blobPath));
        await suite.RunAsync();
        var section = suite.Section(machine, loadBefore, Machine.LoadAverage());
        Console.WriteLine();
        Console.WriteLine(section);
        Console.WriteLine($"benchmark took {runClock.Elapsed.TotalSeconds:0} s");
        await WriteSectionAsync(options, section, Heading);
        return suite.results.Errors.Count == 0 ? 0 : 1;
    }

    /// <summary>Puts <paramref name="section"/> into the report file in place of its earlier version,
    /// when the run writes a report.</summary>
    public static async Task WriteSectionAsync(Options options, string section, string heading)
    {
        if (options.OutFile is not null)
        {
            var old = File.Exists(options.OutFile) ? await File.ReadAllTextAsync(options.OutFile) : "";
            var analysis = options.AnalysisFile is { } a && File.Exists(a) ? await File.ReadAllTextAsync(a) : null;
            await File.WriteAllTextAsync(options.OutFile, WithSection(old, section, analysis, heading));
            Console.WriteLine($"section \"{heading[3..]}\" written to {options.OutFile}");
        }
    }

    /// <summary>
    /// The report with this section in place of any earlier one, before the hand-written analysis
    /// (which is refreshed from <paramref name="analysis"/> when given, so that it explains this
    /// section too); the default suite's sections stay as they are.
    /// </summary>
    public static string WithSection(string report, string section, string? analysis, string heading = Heading)
    {
        report = Without(report, out _, heading);
        var analysisStart = analysis is null ? -1 : IndexOfLine(report, FirstLine(analysis));
        var before = analysisStart < 0 ? report : report[..analysisStart];
        var after = analysisStart < 0 ? "" : analysis!;
        return before.TrimEnd() + "\n\n" + section.TrimEnd() + "\n" + (after.Length > 0 ? "\n" + after : "");
    }

    /// <summary>The report without this section; <paramref name="section"/> is what was removed (or null).</summary>
    public static string Without(string report, out string? section, string heading = Heading)
    {
        var start = IndexOfLine(report, heading);
        if (start < 0)
        {
            section = null;
            return report;
        }
        // The section runs to the next second-level heading, or to the end.
        var next = report.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        var end = next < 0 ? report.Length : next + 1;
        section = report[start..end];
        return report[..start] + report[end..];
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd();

    private static int IndexOfLine(string text, string line)
    {
        if (line.Length == 0)
        {
            return -1;
        }
        if (text.StartsWith(line + "\n", StringComparison.Ordinal))
        {
            return 0;
        }
        var at = text.IndexOf("\n" + line + "\n", StringComparison.Ordinal);
        return at < 0 ? -1 : at + 1;
    }

    private async Task RunAsync()
    {
        await using var engines = new AsyncStack();
        try
        {
            Console.WriteLine("== starting Ceph RGW and PostgreSQL (scripts/rgw, scripts/postgres)");
            var (rgw, s3) = await Engine.StartRgwAsync(options, Path.Combine(options.WorkDir, "rgw"));
            engines.Push(rgw);
            WatchEngineCpu(Path.Combine(options.WorkDir, "rgw"));
            // Beside the work directory, not in it: the postgres user must be able to reach it.
            var (postgres, connection) = await Engine.StartPostgresAsync(options, options.WorkDir + "-postgres");
            engines.Push(postgres);
            WatchPostgresCpu(options.WorkDir + "-postgres");
            engineVersions.Add(await Tool.VersionAsync("radosgw", "--version"));
            engineVersions.Add(await Tool.VersionAsync("/usr/lib/postgresql/15/bin/postgres", "--version"));

            using var client = S3ClientFactory.Create(s3.ClientOptions(WharfBucket));
            await client.PutBucketAsync(new PutBucketRequest { BucketName = WharfBucket });
            await client.PutBucketAsync(new PutBucketRequest { BucketName = DistributionBucket });

            var data = Path.Combine(options.WorkDir, "data");
            string[] postgresSettings = ["--Metadata:Provider", "postgres", "--Metadata:ConnectionString", connection];
            var wharf = await ServerProcess.StartWharfAsync(options, Path.Combine(data, "wharf-s3"), "Wharf (S3, PostgreSQL)",
                [.. s3.WharfSettings(WharfBucket, redirect: false), .. postgresSettings]);
            engines.Push(wharf);
            // A second replica on the same bucket and database, answering blob GETs with redirects.
            var wharfRedirect = await ServerProcess.StartWharfAsync(options, Path.Combine(data, "wharf-s3-redirect"), "Wharf (S3 redirect)",
                [.. s3.WharfSettings(WharfBucket, redirect: true), .. postgresSettings]);
            engines.Push(wharfRedirect);
            var wharfLocal = await ServerProcess.StartWharfAsync(options, Path.Combine(data, "wharf-local"), "Wharf (SQLite, filesystem)", []);
            engines.Push(wharfLocal);
            var distribution = await ServerProcess.StartDistributionS3Async(options, Path.Combine(data, "distribution-s3"), "distribution (S3)", s3, DistributionBucket, redirect: false);
            engines.Push(distribution);
            // Distribution's S3 default: blob GETs redirect to presigned URLs.
            var distributionRedirect = await ServerProcess.StartDistributionS3Async(options, Path.Combine(data, "distribution-s3-redirect"), "distribution (S3 redirect)", s3, DistributionBucket, redirect: true);
            engines.Push(distributionRedirect);
            WatchCpu("wharf", wharf.Pid);
            WatchCpu("wharf-redirect", wharfRedirect.Pid);
            WatchCpu("distribution", distribution.Pid);
            WatchCpu("distribution-redirect", distributionRedirect.Pid);
            WatchCpu("wharf-local", wharfLocal.Pid);

            using var http = Registry.CreateClient();
            using var following = new HttpClient(new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = true,
                AutomaticDecompression = DecompressionMethods.None,
                MaxConnectionsPerServer = int.MaxValue,
            })
            { Timeout = TimeSpan.FromMinutes(10) };
            var targets = new Targets(
                new Registry(http, wharf.BaseUri, completesSinglePost: true),
                new Registry(http, wharfRedirect.BaseUri, completesSinglePost: true),
                new Registry(http, wharfLocal.BaseUri, completesSinglePost: true),
                new Registry(http, distribution.BaseUri, completesSinglePost: false),
                new Registry(http, distributionRedirect.BaseUri, completesSinglePost: false));

            await Step("blob push", () => PushAsync(targets, client));
            await Step("blob pull", () => PullAsync(targets, client, http, following));
            await Step("manifest GET", () => SmallRequestsAsync(targets));

            foreach (var (column, server) in new[] { (Results.Wharf, wharf), (Results.Distribution, distribution) })
            {
                results.Add("whole run (S3)", "peak RSS (VmHWM) of the streaming server", "MiB", column, server.StatusMiB("VmHWM"));
            }
        }
        catch (Exception e)
        {
            results.Error("object storage (setup)", "", e);
        }
    }

    private async Task Step(string title, Func<Task> step)
    {
        if (!options.Selected(title))
        {
            return;
        }
        Console.WriteLine($"== {title} (at {runClock.Elapsed.TotalSeconds:0} s)");
        try
        {
            await step();
        }
        catch (Exception e)
        {
            results.Error(title, "", e);
        }
    }

    private sealed record Targets(Registry Wharf, Registry WharfRedirect, Registry WharfLocal, Registry Distribution, Registry DistributionRedirect);

    private string Size => $"{options.BlobSize >> 20} MiB";

    private string PushTitle => $"blob push, monolithic ({Size}) to S3";

    /// <summary>
    /// 1: the big blob, new each time (a nonce in its first bytes), pushed in one request through
    /// Wharf and through distribution, and written by the SDK straight to RGW as a multipart upload
    /// of Wharf's own part size, one part in flight as Wharf sends them. Every object pushed is
    /// deleted after its round, so the engine's RAM holds only a few at a time.
    /// </summary>
    private async Task PushAsync(Targets targets, IAmazonS3 client)
    {
        // Untimed, once each: the engine's first writes of this size take fresh memory (the OSD keeps
        // objects in RAM), which on this virtual machine costs more than memory used before.
        Console.WriteLine("  warm-up (untimed)");
        await PushOnceAsync(Results.Wharf, 0, targets, client);
        await PushOnceAsync(Results.Distribution, 0, targets, client);
        await PushOnceAsync(Results.Limit, 0, targets, client);
        string[] order = [Results.Wharf, Results.Distribution, Results.Limit];
        for (var round = 1; round <= options.Rounds; round++)
        {
            Console.WriteLine($"  round {round}");
            // The order turns each round, so that no one always follows the same neighbour.
            foreach (var column in order.Skip((round - 1) % order.Length).Concat(order.Take((round - 1) % order.Length)))
            {
                var mbps = await PushOnceAsync(column, round, targets, client);
                results.Add(PushTitle, "throughput", "MB/s", column, mbps, $"{Sdk}: multipart PUT, {options.S3PartSize >> 20} MiB parts, 1 in flight");
            }
        }
    }

    /// <summary>One push of a blob new to the engine, timed; the object is deleted afterwards.</summary>
    private async Task<double> PushOnceAsync(string column, int round, Targets targets, IAmazonS3 client)
    {
        var (blob, _) = await Blob.CreateAsync(bigFile, Blob.NewNonce($"s3/{column}/{round}"));
        double mbps;
        switch (column)
        {
            case Results.Wharf:
                mbps = await TimeAsync(blob.Length, () => targets.Wharf.PushMonolithicAsync($"push/s3-{round}", blob));
                await client.DeleteObjectAsync(WharfBucket, S3Settings.BlobKey(blob.Digest));
                break;
            case Results.Distribution:
                mbps = await TimeAsync(blob.Length, () => targets.Distribution.PushMonolithicAsync($"push/s3-{round}", blob));
                await client.DeleteObjectAsync(DistributionBucket, S3Settings.BlobKey(blob.Digest));
                break;
            default:
                var key = $"sdk/push-{round}";
                mbps = await TimeAsync(blob.Length, () => SdkMultipartPutAsync(client, key, blob));
                await client.DeleteObjectAsync(WharfBucket, key);
                break;
        }
        return mbps;
    }

    private async Task SdkMultipartPutAsync(IAmazonS3 client, string key, Blob blob)
    {
        var upload = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = WharfBucket, Key = key });
        var parts = new List<PartETag>();
        var buffer = new byte[options.S3PartSize];
        for (long offset = 0; offset < blob.Length; offset += buffer.Length)
        {
            var count = await blob.ReadAsync(buffer, offset, default);
            using var body = new MemoryStream(buffer, 0, count, writable: false);
            var part = await client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = WharfBucket,
                Key = key,
                UploadId = upload.UploadId,
                PartNumber = parts.Count + 1,
                InputStream = body,
            });
            parts.Add(new PartETag(parts.Count + 1, part.ETag));
        }
        await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = WharfBucket,
            Key = key,
            UploadId = upload.UploadId,
            PartETags = parts,
        });
    }

    /// <summary>
    /// 2: the big blob (pushed once, untimed) pulled whole: streamed through Wharf and through
    /// distribution with redirects off; through Wharf and distribution answering 307 to a presigned
    /// URL, which the client follows; and by the SDK's GetObject of the very object Wharf serves.
    /// </summary>
    private async Task PullAsync(Targets targets, IAmazonS3 client, HttpClient http, HttpClient following)
    {
        var (blob, _) = await Blob.CreateAsync(bigFile, nonce: null);
        await targets.Wharf.PushMonolithicAsync(PullRepository, blob);
        await targets.Distribution.PushMonolithicAsync(PullRepository, blob);
        var path = $"/v2/{PullRepository}/blobs/{blob.Digest}";
        foreach (var registry in new[] { targets.WharfRedirect, targets.DistributionRedirect })
        {
            // That the redirecting servers do redirect, and to the engine, not to themselves.
            using var probe = await http.GetAsync(registry.Url(path), HttpCompletionOption.ResponseHeadersRead);
            if (probe.StatusCode != HttpStatusCode.TemporaryRedirect || probe.Headers.Location is not { } location || location.Port == registry.BaseUri.Port)
            {
                throw new InvalidOperationException($"GET {registry.Url(path)} answered {(int)probe.StatusCode} {probe.Headers.Location}, not 307 to the engine");
            }
        }
        var streamed = $"blob pull ({Size}) from S3, streamed by the registry";
        var redirected = $"blob pull ({Size}) from S3, 307 to a presigned URL, followed";
        var sdkName = $"{Sdk}: GetObject";
        // Each read: what it records and how. One direct read per round is the baseline of both rows.
        (string Name, Func<Task<double>> Pull, Action<double> Record)[] reads =
        [
            ("Wharf streamed", () => PullAsync(http, targets.Wharf.Url(path), blob.Length), v => results.Add(streamed, "throughput", "MB/s", Results.Wharf, v)),
            ("distribution streamed", () => PullAsync(http, targets.Distribution.Url(path), blob.Length), v => results.Add(streamed, "throughput", "MB/s", Results.Distribution, v)),
            ("Wharf redirect", () => PullAsync(following, targets.WharfRedirect.Url(path), blob.Length), v => results.Add(redirected, "throughput", "MB/s", Results.Wharf, v)),
            ("distribution redirect", () => PullAsync(following, targets.DistributionRedirect.Url(path), blob.Length), v => results.Add(redirected, "throughput", "MB/s", Results.Distribution, v)),
            ("SDK", () => TimeAsync(blob.Length, () => SdkGetAsync(client, S3Settings.BlobKey(blob.Digest), blob.Length)), v =>
            {
                results.Add(streamed, "throughput", "MB/s", Results.Limit, v, sdkName);
                results.Add(redirected, "throughput", "MB/s", Results.Limit, v, sdkName);
            }),
        ];
        // Untimed, once each: every path's connections open and warm before the rounds.
        Console.WriteLine("  warm-up (untimed)");
        foreach (var read in reads)
        {
            await read.Pull();
        }
        for (var round = 1; round <= options.Rounds; round++)
        {
            Console.WriteLine($"  round {round}");
            // The order turns each round, as in the push.
            var shift = (round - 1) % reads.Length;
            foreach (var read in reads.Skip(shift).Concat(reads.Take(shift)))
            {
                read.Record(await read.Pull());
            }
        }
        results.Note($"The two pull rows share their baseline: one SDK GetObject of Wharf's object per round, {options.Rounds} in all.");
    }

    private async Task<double> PullAsync(HttpClient http, Uri uri, long length)
    {
        long bytes = 0;
        var mbps = await TimeAsync(length, async () => bytes = await Registry.ReadAsync(http, uri, readBuffer), $"GET {uri.Authority}");
        if (bytes != length)
        {
            throw new InvalidOperationException($"GET {uri}: {bytes} bytes, expected {length}");
        }
        return mbps;
    }

    private async Task SdkGetAsync(IAmazonS3 client, string key, long length)
    {
        using var response = await client.GetObjectAsync(new GetObjectRequest { BucketName = WharfBucket, Key = key });
        await using var body = response.ResponseStream;
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(readBuffer)) > 0)
        {
            total += read;
        }
        if (total != length)
        {
            throw new InvalidOperationException($"GetObject {key}: {total} bytes, expected {length}");
        }
    }

    /// <summary>
    /// 3: manifest GET by tag under the built-in loader (and, as the manifest cache answers most of
    /// those, the tags list under wrk: a metadata query every request): Wharf on PostgreSQL and S3 against Wharf on SQLite and the filesystem, and
    /// distribution on S3.
    /// </summary>
    private async Task SmallRequestsAsync(Targets targets)
    {
        var image = SmallImage.Create("bench-s3");
        var columns = new[] { (Results.Wharf, targets.Wharf), (Results.Distribution, targets.Distribution), (Results.Limit, targets.WharfLocal) };
        foreach (var (_, registry) in columns)
        {
            await registry.PushSmallBlobAsync(SmallRepository, image.ConfigDigest, image.Config);
            await registry.PushSmallBlobAsync(SmallRepository, image.LayerDigest, image.Layer);
            await registry.PutManifestAsync(SmallRepository, SmallTag, image.Manifest);
        }
        for (var round = 1; round <= options.LongRounds; round++)
        {
            Console.WriteLine($"  round {round}");
            foreach (var connections in options.LoadConnections)
            {
                foreach (var (column, registry) in columns)
                {
                    var manifest = registry.Url($"/v2/{SmallRepository}/manifests/{SmallTag}");
                    LoadResult result = null!;
                    await MeasureCpuAsync(async () => result = await HttpLoad.RunAsync(manifest, "GET", Registry.DockerAccept, connections, options.LoadDuration), $"manifest GET {column} {connections}");
                    Record($"manifest GET by tag (built-in loader), {connections} conns", column, result);
                    // No cache in front of this one: every request is a metadata query. Its body is
                    // sent chunked, which the built-in loader does not read; wrk does.
                    var tags = registry.Url($"/v2/{SmallRepository}/tags/list");
                    await MeasureCpuAsync(async () => result = await Wrk.RunAsync(tags, "application/json", connections, options.LoadDuration), $"tags list {column} {connections}");
                    Record($"tags list (wrk; a metadata query each), {connections} conns", column, result);
                }
            }
        }
    }

    private void Record(string workload, string column, LoadResult result)
    {
        if (result.Errors > 0)
        {
            throw new InvalidOperationException($"{workload} / {column}: {result.Errors} of {result.Requests} responses were not 2xx");
        }
        results.Add(workload, "throughput", "req/s", column, result.RequestsPerSecond, "Wharf on SQLite + filesystem");
        results.Add(workload, "p99 latency", "ms", column, result.P99Ms, "Wharf on SQLite + filesystem");
    }

    private async Task<double> TimeAsync(long bytes, Func<Task> action, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(action))] string what = "")
    {
        var elapsed = await MeasureCpuAsync(action, what);
        return Workloads.Bench.MegabytesPerSecond(bytes, elapsed);
    }

    /// <summary>Runs <paramref name="action"/> and prints where the CPU went meanwhile (for the
    /// analysis): the core-seconds of each process watched.</summary>
    private async Task<TimeSpan> MeasureCpuAsync(Func<Task> action, string what)
    {
        var cpuBefore = cpu.Select(p => p.Seconds()).ToArray();
        var clock = Stopwatch.StartNew();
        await action();
        var elapsed = clock.Elapsed;
        var used = cpu.Select((p, i) => (p.Name, Seconds: p.Seconds() - cpuBefore[i]))
            .Where(u => u.Seconds > 0)
            .Select(u => $"{u.Name} {u.Seconds:0.00}");
        Console.WriteLine($"      {elapsed.TotalSeconds:0.00} s; core-seconds: {string.Join(", ", used)}  [{what[..Math.Min(what.Length, 60)]}]");
        return elapsed;
    }

    /// <summary>The processes whose CPU time is printed for every timed transfer.</summary>
    private readonly List<(string Name, Func<double> Seconds)> cpu = [("client", () => ProcessCpuSeconds(Environment.ProcessId))];

    private static double ProcessCpuSeconds(int pid)
    {
        try
        {
            // utime and stime (fields 14 and 15), counted after the command name in parentheses.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private void WatchCpu(string name, int pid) => cpu.Add((name, () => ProcessCpuSeconds(pid)));

    /// <summary>PostgreSQL: the postmaster and every process it started (one backend per connection).</summary>
    private void WatchPostgresCpu(string dir)
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(dir, "data", "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        cpu.Add(("postgres", () =>
        {
            var total = ProcessCpuSeconds(postmaster);
            foreach (var proc in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(proc), CultureInfo.InvariantCulture, out var pid) && ParentOf(pid) == postmaster)
                {
                    total += ProcessCpuSeconds(pid);
                }
            }
            return total;
        }));
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private void WatchEngineCpu(string rgwDir)
    {
        foreach (var pidFile in Directory.GetFiles(Path.Combine(rgwDir, "run"), "*.pid"))
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid))
            {
                WatchCpu(Path.GetFileNameWithoutExtension(pidFile), pid);
            }
        }
    }

    /// <summary>A target's ratio to its baseline, against the issue's floor: "0.83 (target ≥ 0.8: met)".</summary>
    private string Target(string workload, string metric, double floor)
    {
        var wharf = results.Median(workload, metric, Results.Wharf);
        var baseline = results.Median(workload, metric, Results.Limit);
        if (wharf is not { } w || baseline is not { } b || b == 0)
        {
            return $"not measured (target ≥ {floor.ToString("0.0#", CultureInfo.InvariantCulture)})";
        }
        var ratio = w / b;
        return $"**{ratio.ToString("0.00", CultureInfo.InvariantCulture)}** (target ≥ {floor.ToString("0.0#", CultureInfo.InvariantCulture)}: {(ratio >= floor ? "met" : "**not met**")})";
    }

    private string Section(string machine, string loadBefore, string loadAfter)
    {
        var streamed = $"blob pull ({Size}) from S3, streamed by the registry";
        var redirected = $"blob pull ({Size}) from S3, 307 to a presigned URL, followed";
        var sb = new StringBuilder();
        sb.AppendLine(Heading);
        sb.AppendLine();
        if (Machine.OneMinuteLoad(loadBefore) > 0.5)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"**Preliminary run**: taken while the machine was busy with other work (load average {loadBefore} just before it, on {Environment.ProcessorCount} cores), so every number is noisy. Re-run `bench/run --s3` on an idle machine for numbers to rely on.");
            sb.AppendLine();
        }
        sb.AppendLine(
            $"Wharf with its blobs in S3 (Ceph RGW) and its metadata in PostgreSQL, written by `bench/run --s3`{(options.Smoke ? " --smoke (small sizes: these numbers mean nothing)" : "")}; the sections above come from the default run and are left as they were. " +
            $"Each cell is the median of its samples: {options.Rounds} rounds (the load tests {options.LongRounds}), the servers taking turns. " +
            "Here the third column is a **baseline** on the same engines rather than a limit: for blobs, the AWS SDK for .NET talking to RGW directly; for small requests, Wharf on SQLite and the filesystem.");
        sb.AppendLine();
        sb.AppendLine("### Machine and engines");
        sb.AppendLine();
        foreach (var line in machine.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("- CPU", StringComparison.Ordinal) || line.StartsWith("- memory", StringComparison.Ordinal)
                || line.StartsWith("- distribution", StringComparison.Ordinal) || line.StartsWith("- date", StringComparison.Ordinal))
            {
                sb.AppendLine(line);
            }
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"- engines: {string.Join("; ", engineVersions)} (scripts/rgw: one monitor, one OSD on memstore, objects in RAM; scripts/postgres: fsync, synchronous_commit and full_page_writes off)");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- client: AWSSDK.S3 (the version Wharf pins), path-style, checksums WHEN_REQUIRED, the same client settings as Wharf's (`S3ClientFactory`)");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Wharf: published in Release (Native AOT) from {options.WharfSource}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- load average (1, 5, 15 min): {loadBefore} before the run, {loadAfter} after it");
        sb.AppendLine();
        sb.AppendLine("### Targets");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- push through Wharf / SDK multipart PUT: {Target(PushTitle, "throughput", 0.8)}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- pull streamed by Wharf / SDK GET: {Target(streamed, "throughput", 0.8)}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- pull with Wharf's redirect / SDK GET: {Target(redirected, "throughput", 0.9)} (should equal the direct read; 0.9 allows for the extra round trip and noise)");
        foreach (var connections in options.LoadConnections)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"- manifest GET by tag, {connections} conns, PostgreSQL + S3 / SQLite + filesystem: {Target($"manifest GET by tag (built-in loader), {connections} conns", "throughput", 0.5)}");
        }
        sb.AppendLine();
        sb.AppendLine("### Results");
        sb.AppendLine();
        sb.Append(results.Table("baseline"));
        sb.AppendLine();
        sb.AppendLine("Columns: **Wharf** is Wharf with `Storage:Provider s3` on RGW and `Metadata:Provider postgres` (the redirect row: a second replica on the same bucket and database with `Storage:S3:Redirect true`); " +
            "**distribution** is distribution 2.8.2 with its S3 driver on the same RGW (own bucket); **baseline** is named in each row. Higher is better for MB/s and req/s, lower for ms and MiB; MB is 10^6 bytes.");
        sb.AppendLine();
        sb.AppendLine("### How it was measured");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"""
            - Engines: `scripts/rgw` (Ceph RGW, beast frontend with tcp_nodelay, one OSD keeping objects in RAM) and `scripts/postgres` (PostgreSQL 15, durability off), started by the benchmark on 127.0.0.1 and stopped by the same scripts at its end. Both take CPU from the same 2 cores as the servers and the client.
            - Wharf: `--Storage:Provider s3 --Storage:S3:Endpoint http://127.0.0.1:<port> --Storage:S3:ForcePathStyle true --Storage:S3:ChecksumMode WHEN_REQUIRED --Storage:S3:Prefix {S3Settings.Prefix} --Metadata:Provider postgres --Metadata:ConnectionString ...`; everything else default. Distribution: `storage.s3` with region us-east-1, regionendpoint, bucket, accesskey, secretkey, rootdirectory /{S3Settings.Prefix}, secure false, v4auth true, forcepathstyle true, its default chunk size (10 MiB), in-memory blob descriptor cache, started without `AWS_CA_BUNDLE` in its environment (its driver panics on it).
            - Push: each timed push is a blob new to the server (a nonce in its first 16 bytes), one request from the benchmark's HttpClient (Wharf: `POST ?digest=` with the body; distribution: `POST`, then `PUT ?digest=` with the body). Wharf streams the body into 8 MiB parts of a multipart upload (one part sent while the next fills), checks the digest, then copies the upload to the blob's key inside RGW and deletes the upload. The baseline writes the same bytes with the SDK: `InitiateMultipartUpload`, {options.S3PartSize >> 20} MiB `UploadPart`s one at a time from memory, `CompleteMultipartUpload`: the same part size and parallelism as Wharf, without the registry's extra work. Before the rounds, one untimed push each (RGW's first writes take fresh memory, which costs more here); in each round the three take turns, the order turning by one each round. Every pushed object is deleted right after its push (RGW keeps objects in RAM).
            - Pull: the same {Size} blob, pushed once untimed, read whole by an HttpClient in 1 MiB reads; one untimed read of each kind first, then the five take turns, the order turning by one each round. Streamed: Wharf (redirects off) and distribution with `storage.redirect.disable: true`. Redirect: a Wharf replica with `Storage:S3:Redirect true`, and distribution as it runs by default on S3, both answering 307 to a presigned RGW URL; the client follows it (timed from the first request to the last byte). The baseline is the SDK's `GetObject` of the object Wharf serves.
            - Small requests: the built-in closed-loop loader (raw keep-alive sockets, one request in flight per connection) for {options.LoadDuration.TotalSeconds:0} s at each connection count, on a one-layer image pushed to each server; `Accept` is what docker sends. Wharf on PostgreSQL (a store replicas share) asks the database what the tag names on every GET (one indexed query) and keeps only manifest bytes in memory, by digest; Wharf on SQLite (one process) also keeps what a tag names in memory for up to 5 s, so nearly all its GETs are answered from memory: the manifest rows compare a PostgreSQL query per request with none. The tags list has no cache: each request is a query on the metadata (PostgreSQL or SQLite); its body is sent chunked, which the built-in loader does not read, so it runs under wrk (2 threads).
            """);
        var notes = results.Notes();
        if (notes.Length > 0)
        {
            sb.AppendLine();
            sb.AppendLine("### Notes from this run");
            sb.AppendLine();
            sb.Append(notes);
        }
        sb.AppendLine();
        sb.AppendLine("Where a target is missed, the reason (from profiles) is in `bench/analysis.md`, under \"Object storage and PostgreSQL\", at the end of this file.");
        return sb.ToString();
    }

    /// <summary>Disposes what was pushed in reverse order (servers first, engines last).</summary>
    private sealed class AsyncStack : IAsyncDisposable
    {
        private readonly Stack<IAsyncDisposable> items = new();

        public void Push(IAsyncDisposable item) => items.Push(item);

        public async ValueTask DisposeAsync()
        {
            while (items.TryPop(out var item))
            {
                await item.DisposeAsync();
            }
        }
    }
}
