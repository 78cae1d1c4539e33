namespace Wharf.Bench.Workloads;

/// <summary>
/// 5: the small requests a fleet of pulling clients makes most: GET manifest by tag, HEAD
/// manifest, HEAD blob, each at 16 and 64 connections. GET runs under wrk as the issue asks;
/// HEAD cannot (see <see cref="HttpLoad"/>), so HEADs run under the built-in loader, and so
/// does GET once more, to show how the two loaders compare on the same request.
/// </summary>
internal sealed class SmallRequests(Bench bench) : Workload(bench)
{
    public override string Title => "small requests";

    public override int Rounds => Options.LongRounds;

    public override async Task RunAsync(Target target, int round)
    {
        var manifest = target.Registry.Url($"/v2/{Bench.SmallRepository}/manifests/{Bench.SmallTag}");
        var blob = target.Registry.Url($"/v2/{Bench.SmallRepository}/blobs/{Bench.Image.LayerDigest}");
        foreach (var connections in Options.LoadConnections)
        {
            Record(target, "manifest GET by tag (wrk)", connections,
                await Wrk.RunAsync(manifest, Registry.DockerAccept, connections, Options.LoadDuration));
            Record(target, "manifest GET by tag (built-in loader)", connections,
                await HttpLoad.RunAsync(manifest, "GET", Registry.DockerAccept, connections, Options.LoadDuration));
            Record(target, "manifest HEAD by tag (built-in loader)", connections,
                await HttpLoad.RunAsync(manifest, "HEAD", Registry.DockerAccept, connections, Options.LoadDuration));
            Record(target, "blob HEAD (built-in loader)", connections,
                await HttpLoad.RunAsync(blob, "HEAD", "*/*", connections, Options.LoadDuration));
        }
    }

    private void Record(Target target, string request, int connections, LoadResult result)
    {
        if (result.Errors > 0)
        {
            throw new InvalidOperationException($"{request}: {result.Errors} of {result.Requests} responses were not 2xx");
        }
        var workload = $"{request}, {connections} conns";
        Results.Add(workload, "throughput", "req/s", target.Name, result.RequestsPerSecond);
        Results.Add(workload, "p99 latency", "ms", target.Name, result.P99Ms);
    }
}
