namespace Wharf.Bench.Workloads;

/// <summary>A server under test, running for the whole benchmark.</summary>
internal sealed record Target(string Name, ServerProcess Server, Registry Registry);

/// <summary>What every workload shares: options, results, the client, the big blob, nginx, a small image.</summary>
internal sealed class Bench
{
    public required Options Options { get; init; }
    public required Results Results { get; init; }
    public required HttpClient Http { get; init; }

    /// <summary>The random file every big-blob workload uses, as nginx serves it.</summary>
    public required BlobSource BigFile { get; init; }

    /// <summary>That file pushed as it is (untimed) to <see cref="PullRepository"/>, for the pull workloads.</summary>
    public required Blob BigBlob { get; init; }

    public required Uri NginxBlobUrl { get; init; }

    /// <summary>The image in <see cref="SmallRepository"/>: the manifest and blob of the load tests, the tags of the tag listing.</summary>
    public required SmallImage Image { get; init; }

    public const string PullRepository = "bench/pull";
    public const string SmallRepository = "bench/small";
    public const string SmallTag = "latest";

    public static double MegabytesPerSecond(long bytes, TimeSpan time) => bytes / 1e6 / time.TotalSeconds;
}

/// <summary>
/// One workload of the issue. The runner calls <see cref="PrepareAsync"/> once per server, then
/// <see cref="RunAsync"/> for each round and each server in turn (A B A B), then, where the
/// workload has a limit to compare with, <see cref="RunLimitAsync"/> once per round.
/// </summary>
internal abstract class Workload(Bench bench)
{
    protected Bench Bench { get; } = bench;
    protected Options Options => Bench.Options;
    protected Results Results => Bench.Results;

    public abstract string Title { get; }

    public virtual int Rounds => Options.Rounds;

    public virtual Task PrepareAsync(Target target) => Task.CompletedTask;

    public abstract Task RunAsync(Target target, int round);

    public virtual Task RunLimitAsync(int round) => Task.CompletedTask;
}
