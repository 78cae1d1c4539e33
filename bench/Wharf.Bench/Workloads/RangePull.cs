using System.Diagnostics;

namespace Wharf.Bench.Workloads;

/// <summary>
/// 4: random 64 KiB ranges of the big blob over a few connections, as a lazy-pulling snapshotter
/// reads a layer. Every server (and nginx, for scale) gets the same ranges in the same order.
/// </summary>
internal sealed class RangePull(Bench bench) : Workload(bench)
{
    public override string Title => $"range pull ({Options.RangeCount:N0} × {Options.RangeSize >> 10} KiB, {Options.RangeConnections} connections)";

    public override Task RunAsync(Target target, int round) =>
        RunAsync(target.Name, target.Registry.Url($"/v2/{Bench.PullRepository}/blobs/{Bench.BigBlob.Digest}"), round);

    public override Task RunLimitAsync(int round) => RunAsync(Results.Limit, Bench.NginxBlobUrl, round);

    private async Task RunAsync(string column, Uri uri, int round)
    {
        var random = new Random(round);
        var starts = Enumerable.Range(0, Options.RangeCount)
            .Select(_ => random.NextInt64(0, Bench.BigBlob.Length - Options.RangeSize + 1))
            .ToArray();
        var next = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Options.RangeConnections).Select(_ => Task.Run(async () =>
        {
            var buffer = new byte[Options.RangeSize];
            int i;
            while ((i = Interlocked.Increment(ref next)) < starts.Length)
            {
                var bytes = await Registry.ReadAsync(Bench.Http, uri, buffer, starts[i], starts[i] + Options.RangeSize - 1);
                if (bytes != Options.RangeSize)
                {
                    throw new InvalidOperationException($"range returned {bytes} bytes, expected {Options.RangeSize}");
                }
            }
        }));
        await Task.WhenAll(workers);
        Results.Add(Title, "requests/s", "req/s", column, starts.Length / clock.Elapsed.TotalSeconds, "nginx");
    }
}
