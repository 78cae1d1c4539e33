using System.Diagnostics;

namespace Wharf.Bench.Workloads;

/// <summary>3: the big blob pulled whole; the limit is nginx sending the same file with sendfile.</summary>
internal sealed class BlobPull(Bench bench) : Workload(bench)
{
    private readonly byte[] buffer = new byte[Blob.BufferSize];

    public override string Title => $"blob pull ({Options.BlobSize >> 20} MiB)";

    public override Task RunAsync(Target target, int round) =>
        PullAsync(target.Name, target.Registry.Url($"/v2/{Bench.PullRepository}/blobs/{Bench.BigBlob.Digest}"));

    public override Task RunLimitAsync(int round) => PullAsync(Results.Limit, Bench.NginxBlobUrl);

    private async Task PullAsync(string column, Uri uri)
    {
        var clock = Stopwatch.StartNew();
        var bytes = await Registry.ReadAsync(Bench.Http, uri, buffer);
        var elapsed = clock.Elapsed;
        if (bytes != Bench.BigBlob.Length)
        {
            throw new InvalidOperationException($"pulled {bytes} bytes, expected {Bench.BigBlob.Length}");
        }
        Results.Add(Title, "throughput", "MB/s", column, Bench.MegabytesPerSecond(bytes, elapsed), "nginx sendfile");
    }
}
