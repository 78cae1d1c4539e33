namespace Wharf.Bench.Workloads;

/// <summary>
/// 9 (in part): each server started on an empty data directory: time from process start to the
/// first 200 on /v2/, and RSS once it has sat idle a moment. Run before the long-lived servers
/// start, so nothing else competes for the CPU.
/// </summary>
internal static class Startup
{
    public const string Title = "start on an empty data directory";

    public static async Task RunAsync(Options options, Results results)
    {
        var idle = options.Smoke ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromSeconds(2);
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var name in new[] { Results.Wharf, Results.Distribution })
            {
                try
                {
                    var dir = Path.Combine(options.WorkDir, "data", $"startup-{name}-{round}");
                    await using var server = name == Results.Wharf
                        ? await ServerProcess.StartWharfAsync(options, dir)
                        : await ServerProcess.StartDistributionAsync(options, dir);
                    await Task.Delay(idle);
                    results.Add(Title, "time to first 200 on /v2/", "ms", name, server.StartupTime.TotalMilliseconds);
                    results.Add(Title, $"idle RSS {idle.TotalSeconds:0.#} s after it", "MiB", name, server.StatusMiB("VmRSS"));
                }
                catch (Exception e)
                {
                    results.Error(Title, name, e);
                }
            }
        }
    }
}
