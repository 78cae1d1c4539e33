namespace Wharf.Bench.Workloads;

/// <summary>
/// 1 and 2: the big blob pushed whole or in chunks, each push a blob new to the server (see
/// <see cref="Blob"/>). The limit is one core's SHA-256 over the same bytes, which every push
/// must at least pay: it is timed while computing the digest the push is checked against.
/// </summary>
internal sealed class BlobPush(Bench bench, bool chunked) : Workload(bench)
{
    public override string Title => chunked
        ? $"blob push, chunked ({Options.BlobSize >> 20} MiB in {Options.ChunkSize >> 20} MiB PATCHes)"
        : $"blob push, monolithic ({Options.BlobSize >> 20} MiB)";

    public override async Task RunAsync(Target target, int round)
    {
        var kind = chunked ? "chunked" : "mono";
        var (blob, hashTime) = await Blob.CreateAsync(Bench.BigFile, Blob.NewNonce($"{kind}/{target.Name}/{round}"));
        Results.Add(Title, "throughput", "MB/s", Results.Limit, Bench.MegabytesPerSecond(blob.Length, hashTime), "SHA-256, 1 core");

        var repository = $"push/{kind}-{round}";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (chunked)
        {
            await target.Registry.PushChunkedAsync(repository, blob, Options.ChunkSize);
        }
        else
        {
            await target.Registry.PushMonolithicAsync(repository, blob);
        }
        Results.Add(Title, "throughput", "MB/s", target.Name, Bench.MegabytesPerSecond(blob.Length, clock.Elapsed));
    }
}
