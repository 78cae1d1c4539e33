using System.Diagnostics;

namespace Wharf.Bench.Workloads;

/// <summary>
/// 7: many clients each pushing its own blob at once (a CI fleet): aggregate throughput, and the
/// server's peak RSS meanwhile, sampled every 50 ms. The blobs are one random buffer in memory,
/// each with its own nonce, so the client reads no disk; they are new to the server every round.
/// </summary>
internal sealed class ConcurrentPush(Bench bench) : Workload(bench)
{
    private byte[]? data;
    private readonly Dictionary<int, Blob[]> blobsByRound = [];

    public override string Title => $"concurrent push ({Options.ConcurrentClients} clients × {Options.ConcurrentBlobSize >> 20} MiB, monolithic)";

    public override async Task RunAsync(Target target, int round)
    {
        var blobs = await BlobsForAsync(round);
        var repository = $"concurrent/r{round}";
        var sampler = new RssSampler(target.Server.Pid);
        TimeSpan elapsed;
        double peak;
        try
        {
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(blobs.Select(blob => Task.Run(() => target.Registry.PushMonolithicAsync(repository, blob))));
            elapsed = clock.Elapsed;
        }
        finally
        {
            peak = await sampler.StopAsync();
        }
        Results.Add(Title, "aggregate throughput", "MB/s", target.Name, Bench.MegabytesPerSecond(blobs.Sum(b => b.Length), elapsed));
        Results.Add(Title, "peak RSS during it", "MiB", target.Name, peak);
    }

    /// <summary>The same blobs for both servers in a round (they are separate stores); new ones each round.</summary>
    private async Task<Blob[]> BlobsForAsync(int round)
    {
        if (!blobsByRound.TryGetValue(round, out var blobs))
        {
            if (data is null)
            {
                data = new byte[Options.ConcurrentBlobSize];
                Random.Shared.NextBytes(data);
            }
            var source = BlobSource.InMemory(data);
            blobs = await Task.WhenAll(Enumerable.Range(0, Options.ConcurrentClients).Select(i =>
                Task.Run(async () => (await Blob.CreateAsync(source, Blob.NewNonce($"concurrent/{round}/{i}"))).Blob)));
            blobsByRound.Clear();
            blobsByRound[round] = blobs;
        }
        return blobs;
    }
}
