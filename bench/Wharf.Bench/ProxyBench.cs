using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Wharf.Bench;

/// <summary>
/// <c>bench/run --proxy</c>: the pull-through cache's performance targets (issue 13). The upstream
/// is distribution 2.8 holding an image of one large layer of incompressible bytes. Each round,
/// in alternating order: the image pulled from the upstream directly and through a fresh Wharf
/// proxy (a new data directory, warmed up with a pull of another, small image), then again from
/// the proxy's cache and from a plain Wharf the image was pushed to. Two clients: skopeo copying
/// to a <c>dir:</c> (it writes and verifies the blobs, as real clients do) and a plain GET of the
/// layer (no disk writes, nothing verified: a stricter figure).
/// </summary>
internal static class ProxyBench
{
    public const string Heading = "## Pull-through cache";

    private const string Prefix = "a.test";
    private const string BigRepository = "bench/big";
    private const string WarmRepository = "bench/warm";
    private const string Tag = "v1";

    private const string Skopeo = "skopeo";
    private const string Get = "GET";
    private const string Direct = "direct";
    private const string First = "first";
    private const string Cached = "cached";
    private const string Local = "local";
    private const string Cold = "from disk";
    private const string Warm = "from page cache";
    private const string LocalData = "proxy-local";

    public static async Task<int> RunAsync(Options options, Stopwatch runClock, string machine, string loadBefore)
    {
        var rounds = options.Smoke ? 2 : 7;
        var layerMiB = options.Smoke ? 4 : 256;
        var run = new Run(options);
        await run.RunAsync(rounds, layerMiB);
        var section = run.Section(machine, loadBefore, Machine.LoadAverage(), rounds);
        Console.WriteLine();
        Console.WriteLine(section);
        Console.WriteLine($"benchmark took {runClock.Elapsed.TotalSeconds:0} s");
        await ObjectStorage.WriteSectionAsync(options, section, Heading);
        return 0;
    }

    private sealed class Run(Options options)
    {
        private readonly HttpClient http = Registry.CreateClient();
        private readonly byte[] buffer = new byte[Blob.BufferSize];
        private readonly Dictionary<(string Client, string Kind), List<double>> seconds = [];
        private readonly Dictionary<string, List<double>> extra = [];
        private readonly List<string> loads = [];
        private int pulls;
        private Blob layer = null!;
        private string diffId = "";
        private long imageBytes;
        private SmallImage warm = null!;
        private ServerProcess upstream = null!;
        private ServerProcess local = null!;
        private double pushedResident;

        private static string ResidentAfterFirst(string client) => $"share of the proxy's copy in the page cache after the first pull, {client}";

        public async Task RunAsync(int rounds, int layerMiB)
        {
            var dir = Path.Combine(options.WorkDir, "proxy-image");
            Directory.CreateDirectory(dir);
            Directory.CreateDirectory(Path.Combine(options.WorkDir, "proxy-pulls"));
            var clock = Stopwatch.StartNew();
            var (config, manifest) = await WriteImageAsync(dir, (long)layerMiB << 20);
            warm = SmallImage.Create("proxy warm-up");
            Console.WriteLine($"== image of one {layer.Length / (1024.0 * 1024):F0} MiB layer written in {clock.Elapsed.TotalSeconds:F1} s ({layer.Digest})");

            await using var upstreamServer = await ServerProcess.StartDistributionAsync(options, Path.Combine(options.WorkDir, "proxy-upstream"));
            upstream = upstreamServer;
            await using var localServer = await ServerProcess.StartWharfAsync(options, Path.Combine(options.WorkDir, LocalData, "storage"), "Wharf local", []);
            local = localServer;
            foreach (var (server, completesSinglePost) in new[] { (upstream, false), (local, true) })
            {
                var registry = new Registry(http, server.BaseUri, completesSinglePost);
                await registry.PushMonolithicAsync(BigRepository, layer);
                await registry.PushSmallBlobAsync(BigRepository, SmallImage.DigestOf(config), config);
                await registry.PutManifestAsync(BigRepository, Tag, manifest);
                await registry.PushSmallBlobAsync(WarmRepository, warm.ConfigDigest, warm.Config);
                await registry.PushSmallBlobAsync(WarmRepository, warm.LayerDigest, warm.Layer);
                await registry.PutManifestAsync(WarmRepository, Tag, warm.Manifest);
            }
            imageBytes = layer.Length + config.Length + manifest.Length;
            pushedResident = await ResidentShareAsync(StoredBlob(LocalData));

            // Untimed: both baselines once, so that their first requests and the page cache are warm.
            await SkopeoPullAsync(upstream.BaseUri, BigRepository);
            await SkopeoPullAsync(local.BaseUri, BigRepository);
            await GetAsync(BlobUrl(upstream.BaseUri, BigRepository));
            await GetAsync(BlobUrl(local.BaseUri, BigRepository));

            for (var round = 0; round < rounds; round++)
            {
                loads.Add(Machine.LoadAverage().Split(' ')[0]);
                Console.WriteLine($"== round {round + 1} of {rounds} (at {clock.Elapsed.TotalSeconds:0} s, load {loads[^1]})");
                // Alternating which goes first cancels a drift of the machine over a round.
                var proxyFirst = round % 2 == 1;
                foreach (var client in new[] { Skopeo, Get })
                {
                    var name = $"proxy-{round}-{client.ToLowerInvariant()}";
                    var proxy = await StartProxyAsync(name);
                    try
                    {
                        // Odd rounds: direct, then first; even rounds the other way round.
                        if (proxyFirst)
                        {
                            await FirstThroughProxyAsync(client, proxy, name);
                            await DirectAsync(client);
                        }
                        else
                        {
                            await DirectAsync(client);
                            await FirstThroughProxyAsync(client, proxy, name);
                        }
                        // From the disk: a pushed blob leaves the page cache as Wharf writes it (its
                        // WriteBehind); whatever the proxy's fetch left there, both copies are
                        // evicted whole here, so they start alike. Then again, from the page cache.
                        Add(ResidentAfterFirst(client), await ResidentShareAsync(StoredBlob(name)));
                        Evict(StoredBlob(name));
                        Evict(StoredBlob(LocalData));
                        foreach (var temperature in new[] { Cold, Warm })
                        {
                            if (proxyFirst)
                            {
                                await CachedAsync(client, proxy, temperature);
                                await LocalAsync(client, temperature);
                            }
                            else
                            {
                                await LocalAsync(client, temperature);
                                await CachedAsync(client, proxy, temperature);
                            }
                        }
                    }
                    finally
                    {
                        await proxy.DisposeAsync();
                    }
                    // 2 × 256 MiB per proxy (its storage and, gone by now, its spool): not kept.
                    Directory.Delete(Path.Combine(options.WorkDir, name), recursive: true);
                }
            }
        }

        // --- the image ---

        /// <summary>The layer (a tar of one file of random bytes, gzipped without compression, so the
        /// bytes stay incompressible and any client that looks inside finds a real layer), its
        /// config and manifest; every file written streaming.</summary>
        private async Task<(byte[] Config, byte[] Manifest)> WriteImageAsync(string dir, long size)
        {
            var raw = Path.Combine(dir, "random.bin");
            var tar = Path.Combine(dir, "layer.tar");
            var gz = Path.Combine(dir, "layer.tar.gz");
            await using (var file = new FileStream(raw, FileMode.Create, FileAccess.Write, FileShare.None, 0))
            {
                for (long written = 0; written < size; written += buffer.Length)
                {
                    Random.Shared.NextBytes(buffer);
                    await file.WriteAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - written)));
                }
            }
            await using (var file = File.Create(tar))
            await using (var writer = new TarWriter(file, TarEntryFormat.Pax))
            {
                await writer.WriteEntryAsync(raw, "bench/random.bin");
            }
            File.Delete(raw);
            diffId = (await Blob.CreateAsync(BlobSource.OpenFile(tar), nonce: null)).Blob.Digest;
            await using (var source = File.OpenRead(tar))
            await using (var file = File.Create(gz))
            await using (var gzip = new GZipStream(file, CompressionLevel.NoCompression))
            {
                await source.CopyToAsync(gzip, Blob.BufferSize);
            }
            File.Delete(tar);
            (layer, _) = await Blob.CreateAsync(BlobSource.OpenFile(gz), nonce: null);

            var config = Encoding.UTF8.GetBytes(
                $$$"""{"architecture":"amd64","os":"linux","config":{"Labels":{"bench":"proxy"}},"rootfs":{"type":"layers","diff_ids":["{{{diffId}}}"]}}""");
            var manifest = Encoding.UTF8.GetBytes(
                $$$"""{"schemaVersion":2,"mediaType":"{{{Registry.OciManifest}}}","config":{"mediaType":"{{{SmallImage.ConfigType}}}","digest":"{{{SmallImage.DigestOf(config)}}}","size":{{{config.Length}}}},"layers":[{"mediaType":"{{{SmallImage.LayerType}}}","digest":"{{{layer.Digest}}}","size":{{{layer.Length}}}}]}""");
            return (config, manifest);
        }

        // --- the four pulls ---

        private async Task DirectAsync(string client)
        {
            var cpu = Cpu(upstream);
            await PullAsync(client, Direct, upstream.BaseUri, BigRepository);
            Add($"upstream CPU, {client} direct", Cpu(upstream) - cpu);
        }

        private async Task FirstThroughProxyAsync(string client, ServerProcess proxy, string name)
        {
            var proxyCpu = Cpu(proxy);
            var upstreamCpu = Cpu(upstream);
            var clock = Stopwatch.StartNew();
            await PullAsync(client, First, proxy.BaseUri, $"{Prefix}/{BigRepository}");
            var pulled = clock.Elapsed;
            // The client has every byte; the proxy's own durable copy may still be on its way.
            await WaitStoredAsync(name);
            Add($"stored after the client's pull, {client}", (clock.Elapsed - pulled).TotalSeconds);
            Add($"proxy CPU, {client} first", Cpu(proxy) - proxyCpu);
            Add($"upstream CPU, {client} first", Cpu(upstream) - upstreamCpu);
        }

        private async Task CachedAsync(string client, ServerProcess proxy, string temperature)
        {
            var cpu = Cpu(proxy);
            var upstreamCpu = Cpu(upstream);
            await PullAsync(client, $"{Cached}, {temperature}", proxy.BaseUri, $"{Prefix}/{BigRepository}");
            Add($"proxy CPU, {client} cached, {temperature}", Cpu(proxy) - cpu);
            Add($"upstream CPU, {client} cached, {temperature}", Cpu(upstream) - upstreamCpu);
        }

        private async Task LocalAsync(string client, string temperature)
        {
            var cpu = Cpu(local);
            await PullAsync(client, $"{Local}, {temperature}", local.BaseUri, BigRepository);
            Add($"local Wharf CPU, {client}, {temperature}", Cpu(local) - cpu);
        }

        private async Task PullAsync(string client, string kind, Uri baseUri, string repository)
        {
            TimeSpan elapsed;
            if (client == Skopeo)
            {
                elapsed = await SkopeoPullAsync(baseUri, repository);
            }
            else
            {
                (elapsed, var firstByte) = await GetAsync(BlobUrl(baseUri, repository));
                Add($"first byte, GET {kind}", firstByte.TotalSeconds);
            }
            if (!seconds.TryGetValue((client, kind), out var list))
            {
                seconds[(client, kind)] = list = [];
            }
            list.Add(elapsed.TotalSeconds);
            Console.WriteLine($"    {client,-6} {kind,-7} {elapsed.TotalSeconds,7:F3} s  {Rate(client, elapsed.TotalSeconds),7:F0} MB/s");
        }

        /// <summary>skopeo copy of the whole image to a new <c>dir:</c>; the copy is checked, then removed (untimed).</summary>
        private async Task<TimeSpan> SkopeoPullAsync(Uri baseUri, string repository)
        {
            var destination = Path.Combine(options.WorkDir, "proxy-pulls", (++pulls).ToString(CultureInfo.InvariantCulture));
            var clock = Stopwatch.StartNew();
            var (exit, output) = await Tool.RunAsync(Skopeo,
                ["copy", "--quiet", "--src-tls-verify=false", "--src-no-creds", $"docker://{baseUri.Authority}/{repository}:{Tag}", $"dir:{destination}"],
                TimeSpan.FromMinutes(5));
            var elapsed = clock.Elapsed;
            if (exit != 0)
            {
                throw new InvalidOperationException($"skopeo copy of {baseUri.Authority}/{repository}:{Tag} exited {exit}: {output.Trim()}");
            }
            if (repository.EndsWith(BigRepository, StringComparison.Ordinal))
            {
                // skopeo verified the digest as it wrote; this checks it wrote the layer at all.
                var written = new FileInfo(Path.Combine(destination, layer.Digest["sha256:".Length..]));
                if (!written.Exists || written.Length != layer.Length)
                {
                    throw new InvalidOperationException($"skopeo copy of {baseUri.Authority}/{repository}:{Tag} did not write the layer");
                }
            }
            Directory.Delete(destination, recursive: true);
            return elapsed;
        }

        /// <summary>A plain GET of a blob, its body counted and dropped: the whole time and the time to the first body byte.</summary>
        private async Task<(TimeSpan Elapsed, TimeSpan FirstByte)> GetAsync(Uri url, long? expected = null)
        {
            var clock = Stopwatch.StartNew();
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new HttpRequestException($"GET {url}: {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
            await using var body = await response.Content.ReadAsStreamAsync();
            TimeSpan? firstByte = null;
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                firstByte ??= clock.Elapsed;
                total += read;
            }
            var elapsed = clock.Elapsed;
            if (total != (expected ?? layer.Length))
            {
                throw new InvalidOperationException($"GET {url}: {total} bytes, expected {expected ?? layer.Length}");
            }
            return (elapsed, firstByte ?? elapsed);
        }

        private Uri BlobUrl(Uri baseUri, string repository) => new(baseUri, $"/v2/{repository}/blobs/{layer.Digest}");

        // --- the proxy ---

        /// <summary>A Wharf proxying distribution under <see cref="Prefix"/>, on a new data directory,
        /// warmed up: its first requests, its first upstream fetches and its first cached reads are
        /// those of another, small image.</summary>
        private async Task<ServerProcess> StartProxyAsync(string name)
        {
            var data = Path.Combine(options.WorkDir, name);
            // Its own spool directory (on the same disk as /tmp, the default), so that the bench
            // can see when the fetch is over.
            var spool = Path.Combine(data, "spool");
            Directory.CreateDirectory(spool);
            var proxy = await ServerProcess.StartWharfAsync(options, Path.Combine(data, "storage"), "Wharf proxy",
            [
                "--Proxy:Upstreams:0:Prefix", Prefix,
                "--Proxy:Upstreams:0:Url", upstream.BaseUri.GetLeftPart(UriPartial.Authority),
                "--Proxy:SpoolDirectory", spool,
            ]);
            try
            {
                await SkopeoPullAsync(proxy.BaseUri, $"{Prefix}/{WarmRepository}");
                await GetAsync(new Uri(proxy.BaseUri, $"/v2/{Prefix}/{WarmRepository}/blobs/{warm.LayerDigest}"), warm.Layer.Length);
                await GetAsync(new Uri(proxy.BaseUri, $"/v2/{Prefix}/{WarmRepository}/blobs/{warm.ConfigDigest}"), warm.Config.Length);
                return proxy;
            }
            catch
            {
                await proxy.DisposeAsync();
                throw;
            }
        }

        /// <summary>Waits until the proxy has stored the layer and its fetch is over (its spool gone).</summary>
        private async Task WaitStoredAsync(string name)
        {
            var stored = StoredBlob(name);
            var spool = Path.Combine(options.WorkDir, name, "spool");
            var clock = Stopwatch.StartNew();
            while (!(File.Exists(stored) && new FileInfo(stored).Length == layer.Length && !Directory.EnumerateFileSystemEntries(spool).Any()))
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(2))
                {
                    throw new TimeoutException($"the proxy did not store {layer.Digest} within 2 minutes of the pull");
                }
                await Task.Delay(10);
            }
        }

        /// <summary>Where a Wharf whose data directory is <paramref name="name"/> keeps the layer.</summary>
        private string StoredBlob(string name)
        {
            var hex = layer.Digest["sha256:".Length..];
            return Path.Combine(options.WorkDir, name, "storage", "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
        }

        /// <summary>Drops a file's pages from the page cache (they are clean: Wharf fsyncs a blob before it is visible).</summary>
        private static void Evict(string path)
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (PosixFadvise((int)handle.DangerousGetHandle(), 0, 0, 4 /* POSIX_FADV_DONTNEED */) != 0)
            {
                throw new IOException($"posix_fadvise DONTNEED failed on {path}");
            }
        }

        /// <summary>How much of a file is in the page cache (util-linux fincore), as a share of its length.</summary>
        private static async Task<double> ResidentShareAsync(string path)
        {
            var (exit, output) = await Tool.RunAsync("fincore", ["--bytes", "--noheadings", "--output", "RES", path], TimeSpan.FromSeconds(30));
            return exit == 0 && long.TryParse(output.Trim(), CultureInfo.InvariantCulture, out var resident)
                ? (double)resident / new FileInfo(path).Length
                : double.NaN;
        }

        [DllImport("libc", EntryPoint = "posix_fadvise")]
        private static extern int PosixFadvise(int fd, long offset, long length, int advice);

        // --- accounting ---

        /// <summary>User and system CPU seconds the process has used so far (/proc/PID/stat, 100 ticks a second).</summary>
        private static double Cpu(ServerProcess server)
        {
            var stat = File.ReadAllText($"/proc/{server.Pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        }

        private void Add(string what, double value)
        {
            if (!extra.TryGetValue(what, out var list))
            {
                extra[what] = list = [];
            }
            list.Add(value);
        }

        /// <summary>MB/s (10^6 bytes) of what the client fetched: the whole image for skopeo, the layer for GET.</summary>
        private double Rate(string client, double s) => (client == Skopeo ? imageBytes : layer.Length) / 1e6 / s;

        // --- the report ---

        public string Section(string machine, string loadBefore, string loadAfter, int rounds)
        {
            var sb = new StringBuilder()
                .AppendLine(Heading)
                .AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"`bench/run --proxy`{(options.Smoke ? " --smoke (tiny sizes: these numbers mean nothing)" : "")}: Wharf {options.WharfSource} (Native AOT) on SQLite and the filesystem, as a pull-through cache of distribution 2.8 (`--Proxy:Upstreams:0:Prefix={Prefix}`); load average before {loadBefore}, after {loadAfter}.")
                .AppendLine();
            if (Machine.OneMinuteLoad(loadBefore) > 0.5)
            {
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"**Preliminary**: taken while the machine was busy with other work (load average {loadBefore} just before it, 1-minute load at the start of each round: {string.Join(", ", loads)}, on {Environment.ProcessorCount} cores), so every number is noisy.")
                  .AppendLine();
            }
            sb.AppendLine(machine)
              .AppendLine()
              .AppendLine(CultureInfo.InvariantCulture, $"The image: one layer of {layer.Length / (1024.0 * 1024):F0} MiB (a tar of random bytes, gzip without compression: nothing to compress or deduplicate) and a small config. Speed is the image's bytes over the time of the pull; each cell is the median of {rounds} rounds, with the slowest and fastest round after it.")
              .AppendLine()
              .AppendLine("| what | client | through the proxy | baseline | speed ratio (proxy / baseline) | target |")
              .AppendLine("|---|---|---|---|---|---|");
            var verdicts = new List<string>();
            foreach (var client in new[] { Skopeo, Get })
            {
                Row(sb, verdicts, "first pull through a fresh proxy / pull from distribution directly", ClientName(client), client, First, Direct, 0.8, "≥ 0.80");
            }
            foreach (var temperature in new[] { Cold, Warm })
            {
                foreach (var client in new[] { Skopeo, Get })
                {
                    Row(sb, verdicts, $"cached pull through the proxy / pull from a plain Wharf, both {temperature}", ClientName(client), client,
                        $"{Cached}, {temperature}", $"{Local}, {temperature}", 0.95, "≈ 1 (≥ 0.95)");
                }
            }
            if (seconds.ContainsKey((Get, First)) && extra.TryGetValue($"first byte, GET {First}", out var firstByte) && extra.TryGetValue($"first byte, GET {Direct}", out var directByte))
            {
                verdicts.Add(string.Create(CultureInfo.InvariantCulture,
                    $"Streaming, not store-then-serve: through the fresh proxy the GET client had the layer's first byte after {LayeredImage.Median(firstByte) * 1000:F0} ms (median; {LayeredImage.Median(directByte) * 1000:F0} ms directly), and the whole layer after {LayeredImage.Median(seconds[(Get, First)]):F2} s."));
            }
            sb.AppendLine()
              .AppendJoin('\n', verdicts.Select(v => "- " + v))
              .AppendLine()
              .AppendLine()
              .Append(WhereTheTimeGoes())
              .AppendLine("Details (every round, in seconds, in the order run):")
              .AppendLine();
            foreach (var ((client, kind), list) in seconds)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"- {client} {kind}: {List(list, "F3")} s; spread (slowest − fastest) {Spread(list):P0} of the median");
            }
            foreach (var (what, list) in extra.Where(e => !e.Key.StartsWith("share ", StringComparison.Ordinal)))
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"- {what}: {List(list, "F3")} s (median {LayeredImage.Median(list):F3})");
            }
            sb.AppendLine(CultureInfo.InvariantCulture, $"- 1-minute load average at the start of each round: {string.Join(", ", loads)}")
              .AppendLine()
              .AppendLine("How it was measured:")
              .AppendLine()
              .AppendLine(CultureInfo.InvariantCulture, $"""
                - One machine, {Environment.ProcessorCount} cores, loopback only: the client, the proxy and the upstream share the cores (on the first pull through the proxy all three are busy at once; on a direct pull only two), and other engineers' builds and tests may run beside them (see the load averages).
                - Each round runs, for each client: a fresh proxy (new data directory and spool directory, `Proxy:SpoolDirectory` on the same disk as the default `/tmp`) is started and warmed up with a pull of another, small image through it (its first requests, first upstream fetch and first cached reads are not timed); then the pull from distribution directly and the first pull through the proxy (odd rounds in that order, even rounds the other way round); then the cached pull through the same proxy and the pull from the plain Wharf, twice: from the disk, then from the page cache (odd rounds the local pull first, even rounds the cached one).
                - From the disk: Wharf's filesystem storage drops a pushed blob's pages from the page cache as it writes them (`WriteBehind`: sync_file_range, then POSIX_FADV_DONTNEED); the proxy's fetch writes its copy in its own way (see below how much of it stays in memory). Before those pulls the bench evicts both copies (the proxy's and the plain Wharf's) whole with POSIX_FADV_DONTNEED, so that both start alike; the second pulls find them in the page cache. Distribution serves the upstream's copy from the page cache throughout (pushed before the rounds and pulled once untimed; it does not drop pages).
                - The proxy's durable copy may still be on its way when the client has its last byte (the proxy sends the last byte once the digest is verified, not once stored): the cached pull starts only after the proxy has stored the layer and removed its spool ("stored after the client's pull" above).
                - skopeo (`copy --src-tls-verify=false` to a new `dir:` each time, removed untimed) writes every blob to disk and verifies its digest; the plain GET reads the layer into a 1 MiB buffer and drops it.
                - CPU seconds are utime + stime from /proc/PID/stat of each server over the pull.
                """)
              .AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"- In the page cache (util-linux `fincore`): {pushedResident:P0} of the plain Wharf's copy right after its push; of the proxy's copy right after each first pull, {List(extra.GetValueOrDefault(ResidentAfterFirst(Skopeo), []), "P0")} (skopeo rounds) and {List(extra.GetValueOrDefault(ResidentAfterFirst(Get), []), "P0")} (GET rounds). A cached pull soon after the first one is nearer the \"from page cache\" rows the more of the copy stayed; a later one, after the pages were reclaimed, is the \"from disk\" rows."));
            return sb.ToString();
        }

        /// <summary>The CPU the servers used for a pull of the layer, from this run; then what a
        /// profile of the proxy showed (taken by hand, so it says when and how).</summary>
        private string WhereTheTimeGoes()
        {
            string Cpu(string what) => extra.TryGetValue(what, out var list) ? LayeredImage.Median(list).ToString("F2", CultureInfo.InvariantCulture) : "–";
            var sb = new StringBuilder();
            sb.AppendLine("Where the first pull's time goes:")
              .AppendLine()
              .AppendLine(
                $"- CPU seconds the servers used for one GET of the layer (medians of this run): direct, distribution {Cpu($"upstream CPU, {Get} direct")}; through the fresh proxy, the proxy {Cpu($"proxy CPU, {Get} first")} and distribution {Cpu($"upstream CPU, {Get} first")}; from the cache, the proxy {Cpu($"proxy CPU, {Get} cached, {Warm}")} (page cache) and {Cpu($"proxy CPU, {Get} cached, {Cold}")} (disk), against the plain Wharf's {Cpu($"local Wharf CPU, {Get}, {Warm}")} and {Cpu($"local Wharf CPU, {Get}, {Cold}")}. " +
                "Distribution sends the file with sendfile and hashes nothing; the proxy receives every byte, hashes it (SHA-256), writes it (to the staged upload that becomes the cached blob) and sends it: on two cores shared by the client, the proxy and the upstream, that CPU is what the first pull waits for.")
              .AppendLine("- A profile of the proxy during one first pull of this 256 MiB layer (by hand, `perf record -g` at 2,999 Hz on the proxy's pid, Wharf 675126c, 2026-12-06, load average about 19; 0.80 s through the proxy, 0.31 s directly at that moment): SHA-256 (libcrypto) 32 % of its samples; the socket send to the client 16 %; the one buffered write of every byte, into the staged upload (`pwrite`), 11 %; the socket receive from the upstream 9 %; scheduling 9 %; copies out of the recent chunks kept in memory (memmove) 4 %; sync_file_range and the fsync before the move into place 2.5 %; reads back from the file (`pread`) 0.4 %; the rest (the garbage collector, the configuration file watcher, spinning) 15 %. About 0.7 CPU-second in all under perf. The same profile of the proxy before 732a046 (a spool file beside the staged upload, copied into it through the storage's disk-paced writer) came to about 0.95 CPU-s, 32 % of it in the two buffered writes.")
              .AppendLine("- So the plain-GET target is out of reach on this machine: the hash by itself (about 0.2 CPU-s for 256 MiB, one stream hashed in order) is about as long as the whole direct transfer from distribution over loopback (about 0.2 s), and the proxy's other work would have to fit in the hash's shadow on the second core, which the client and the upstream also need. What remains is mostly work a verifying cache cannot skip: one receive, one hash, one write and one send of every byte. Against a real upstream across a network, slower than this loopback, its link rather than the proxy's CPU would bound the first pull (not measured here).")
              .AppendLine();
            return sb.ToString();
        }

        private void Row(StringBuilder sb, List<string> verdicts, string what, string clientName, string client, string proxyKind, string baselineKind, double target, string targetText)
        {
            if (!seconds.TryGetValue((client, proxyKind), out var proxy) || !seconds.TryGetValue((client, baselineKind), out var baseline))
            {
                return;
            }
            var p = LayeredImage.Median(proxy);
            var b = LayeredImage.Median(baseline);
            var ratio = b / p;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {what} | {clientName} | {Cell(client, proxy)} | {Cell(client, baseline)} | {ratio:F2} | {targetText} |");
            var verdict = ratio >= target
                ? $"met ({ratio:F2})"
                : $"**missed**: {ratio:F2}, {(target - ratio) / target:P0} short of {target:F2} (the proxy takes {p - b:F2} s longer than the baseline's {b:F2} s)";
            if (proxy.Count == baseline.Count)
            {
                // The two pulls of one round ran next to each other: their ratio sees the same load.
                var paired = proxy.Zip(baseline, (x, y) => y / x).ToList();
                verdict += string.Create(CultureInfo.InvariantCulture,
                    $"; round by round {List(paired, "F2")}, {paired.Count(r => r >= target)} of {paired.Count} at or above the target");
            }
            verdicts.Add($"{what}, {clientName}: {verdict}.");
        }

        private string Cell(string client, List<double> list)
        {
            var median = LayeredImage.Median(list);
            return string.Create(CultureInfo.InvariantCulture,
                $"{median:F2} s, {Rate(client, median):F0} MB/s ({list.Min():F2}–{list.Max():F2} s)");
        }

        private static string ClientName(string client) => client == Skopeo ? "skopeo copy to `dir:`" : "plain GET of the layer";

        private static double Spread(List<double> values) => (values.Max() - values.Min()) / LayeredImage.Median(values);

        private static string List(List<double> values, string format) => string.Join(", ", values.Select(v => v.ToString(format, CultureInfo.InvariantCulture)));
    }
}
