using System.Diagnostics;

namespace Wharf.Bench.Workloads;

/// <summary>
/// 8: a real client end to end: skopeo copying small distinct images from an OCI layout, several
/// at a time. Each server and round gets images it has never seen, so every blob is uploaded
/// (skopeo would otherwise skip or mount blobs it finds already there).
/// </summary>
internal sealed class SkopeoPush(Bench bench) : Workload(bench)
{
    public override string Title => $"skopeo copy of {Options.SkopeoImages} small images, {Options.SkopeoParallel} at a time";

    public override int Rounds => Options.LongRounds;

    public override async Task RunAsync(Target target, int round)
    {
        var layout = Path.Combine(Options.WorkDir, "layouts", $"{target.Name}-{round}");
        var names = Enumerable.Range(0, Options.SkopeoImages).Select(i => $"img{i:D4}").ToArray();
        SmallImage.WriteLayout(layout, names.Select(name => (name, SmallImage.Create($"{target.Name}/{round}/{name}"))).ToList());

        var host = target.Registry.BaseUri.Authority;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Options.SkopeoParallel };
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(names, parallel, async (name, _) =>
        {
            var (exit, output) = await Tool.RunAsync("skopeo",
                ["copy", "--quiet", "--dest-tls-verify=false", "--dest-no-creds", $"oci:{layout}:{name}", $"docker://{host}/skopeo/r{round}:{name}"],
                TimeSpan.FromMinutes(2));
            if (exit != 0)
            {
                throw new InvalidOperationException($"skopeo copy {name} exited {exit}: {output.Trim()}");
            }
        });
        Results.Add(Title, "throughput", "images/s", target.Name, names.Length / clock.Elapsed.TotalSeconds);
    }
}
