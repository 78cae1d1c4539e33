namespace Wharf.Bench;

/// <summary>Sizes and durations of one run: the numbers, or tiny ones for --smoke.</summary>
internal sealed record Options
{
    public required string WorkDir { get; init; }
    public required string WharfDll { get; init; }
    public string? OutFile { get; init; }

    /// <summary>Markdown written by hand (the profiles behind the numbers), appended to the report.</summary>
    public string? AnalysisFile { get; init; }
    public string LoadBefore { get; init; } = "";

    /// <summary>What Wharf was built from (commit, uncommitted changes), for the report.</summary>
    public string WharfSource { get; init; } = "unknown";
    public bool Smoke { get; init; }

    /// <summary>The object-storage section instead of the default suite: Wharf on S3 (Ceph RGW) and
    /// PostgreSQL, against the AWS SDK talking to RGW directly and distribution's S3 driver.</summary>
    public bool S3 { get; init; }

    /// <summary>bench/run --gc: the garbage collection section alone.</summary>
    public bool Gc { get; init; }

    /// <summary>bench/run --overhead: the observability overhead section alone.</summary>
    public bool Overhead { get; init; }

    /// <summary>bench/run --proxy: the pull-through cache section alone.</summary>
    public bool Proxy { get; init; }

    /// <summary>bench/run --ui: the web UI listings section alone.</summary>
    public bool Ui { get; init; }

    /// <summary>bench/run --scale: the cost-at-scale section alone (issue 15).</summary>
    public bool Scale { get; init; }

    /// <summary>The big store of --scale: manifests in all, repositories, and the manifests (two
    /// tags each) of the one repository whose tags list is measured.</summary>
    public StoreShape ScaleBig { get; init; } = new(1_000_000, 100_000, 5_000);

    /// <summary>The small store the big one is compared with: the same shape, the same tag repository.</summary>
    public StoreShape ScaleSmall { get; init; } = new(7_000, 201, 5_000);

    /// <summary>How long each load test of --scale runs, and how long after the load RSS is read again.</summary>
    public TimeSpan ScaleLoadDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan ScaleSettle { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan ScaleWarmup { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How many times --scale runs each load on each store (the median round is reported).</summary>
    public int ScaleRounds { get; init; } = 3;
    public int ScaleConnections { get; init; } = 64;

    /// <summary>--scale-stores DIR: where --scale builds its stores and keeps them for the next run
    /// (a store of the same shape found there is reused); by default the work directory.</summary>
    public string? ScaleStores { get; init; }

    /// <summary>The repository root, for scripts/rgw and scripts/postgres.</summary>
    public string RepositoryRoot { get; init; } = "";

    /// <summary>The part size of the direct SDK upload: Wharf's own (8 MiB parts, one in flight).</summary>
    public int S3PartSize { get; init; } = 8 << 20;

    /// <summary>For working on the benchmark: run only the workloads whose title contains one of these.</summary>
    public string[] Only { get; init; } = [];

    /// <summary>A B A B rounds for the cheap workloads; the long ones (load, skopeo) cap it at <see cref="LongRounds"/>.</summary>
    public int Rounds { get; init; } = 3;
    public int LongRounds { get; init; } = 2;

    public long BlobSize { get; init; } = 512L << 20;
    public int ChunkSize { get; init; } = 16 << 20;
    public int RangeCount { get; init; } = 1000;
    public int RangeSize { get; init; } = 64 << 10;
    public int RangeConnections { get; init; } = 8;
    public int[] LoadConnections { get; init; } = [16, 64];
    public TimeSpan LoadDuration { get; init; } = TimeSpan.FromSeconds(10);
    public int Tags { get; init; } = 5000;
    public int Repositories { get; init; } = 10_000;
    public int PageSize { get; init; } = 100;
    public int SetupConcurrency { get; init; } = 8;
    public int ConcurrentClients { get; init; } = 32;
    public int ConcurrentBlobSize { get; init; } = 64 << 20;
    public int SkopeoImages { get; init; } = 200;
    public int SkopeoParallel { get; init; } = 8;

    public static Options Parse(string[] args)
    {
        string? work = null, wharf = null, outFile = null, analysis = null, load = "", source = "unknown", repo = "";
        string[] only = [];
        bool smoke = false, s3 = false, gc = false, overhead = false, proxy = false, ui = false, scale = false;
        int? scaleManifests = null;
        string? scaleStores = null;
        int? rounds = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--work": work = args[++i]; break;
                case "--wharf": wharf = args[++i]; break;
                case "--out": outFile = args[++i]; break;
                case "--analysis": analysis = args[++i]; break;
                case "--load-before": load = args[++i]; break;
                case "--wharf-source": source = args[++i]; break;
                case "--rounds": rounds = int.Parse(args[++i]); break;
                case "--smoke": smoke = true; break;
                case "--s3": s3 = true; break;
                case "--gc": gc = true; break;
                case "--overhead": overhead = true; break;
                case "--proxy": proxy = true; break;
                case "--ui": ui = true; break;
                case "--scale": scale = true; break;
                case "--scale-manifests": scaleManifests = int.Parse(args[++i]); break;
                case "--scale-stores": scaleStores = args[++i]; break;
                case "--repo": repo = args[++i]; break;
                case "--only": only = args[++i].Split(','); break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }
        if (work is null || wharf is null)
        {
            throw new ArgumentException("usage: Wharf.Bench --work DIR --wharf Wharf.dll [--smoke] [--s3 --repo DIR] [--rounds N] [--only TITLE,...] [--out BENCHMARKS.md] [--analysis FILE.md] [--load-before LOADAVG]");
        }
        var options = new Options { WorkDir = work, WharfDll = wharf, OutFile = outFile, AnalysisFile = analysis, LoadBefore = load, WharfSource = source, Smoke = smoke, Only = only, S3 = s3, Gc = gc, Overhead = overhead, Proxy = proxy, Ui = ui, Scale = scale, ScaleStores = scaleStores, RepositoryRoot = repo };
        if (smoke)
        {
            // Small enough to finish in well under a minute, big enough that every code path runs:
            // several chunks, several pages of each listing, two rounds.
            options = options with
            {
                Rounds = 2, LongRounds = 1,
                BlobSize = 16L << 20, ChunkSize = 4 << 20,
                RangeCount = 100,
                LoadDuration = TimeSpan.FromSeconds(1),
                Tags = 250, Repositories = 250,
                ConcurrentBlobSize = 1 << 20,
                SkopeoImages = 10,
            };
            if (s3)
            {
                // Several 8 MiB parts per push, and the load tests long enough to warm up.
                options = options with { BlobSize = 32L << 20 };
            }
        }
        if (smoke && scale)
        {
            // A few thousand manifests and 2 s loads: every step runs, in about two minutes.
            options = options with
            {
                ScaleBig = new(6_000, 300, 500), ScaleSmall = new(700, 21, 500),
                ScaleLoadDuration = TimeSpan.FromSeconds(2), ScaleSettle = TimeSpan.FromSeconds(2), ScaleWarmup = TimeSpan.FromSeconds(1), ScaleRounds = 1,
            };
        }
        if (scaleManifests is { } m)
        {
            // The largest store that fits the time at hand: ten manifests a repository, as at full size.
            options = options with { ScaleBig = new(m, Math.Max(2, m / 10), Math.Min(options.ScaleBig.TagRepositoryManifests, m / 2)) };
        }
        if (rounds is { } r)
        {
            options = options with { Rounds = r, LongRounds = Math.Min(r, options.LongRounds) };
        }
        return options;
    }

    public bool Selected(string title) => Only.Length == 0 || Only.Any(o => title.Contains(o, StringComparison.OrdinalIgnoreCase));
}
