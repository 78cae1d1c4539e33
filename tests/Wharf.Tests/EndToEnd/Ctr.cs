using System.Diagnostics;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// containerd's own client, ctr, talking to the test run's private containerd
/// (<see cref="ContainerDaemons"/>) in a namespace of its own, so images and content of one test are
/// invisible to the next. Disposing it removes the namespace's images (containerd then collects their
/// content) and the namespace.
/// </summary>
public sealed class Ctr : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);

    private readonly ContainerDaemons _daemons;
    private readonly ITestOutputHelper _output;

    internal Ctr(ContainerDaemons daemons, ITestOutputHelper output)
    {
        _daemons = daemons;
        _output = output;
    }

    public string Namespace { get; } = "wharf-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Runs ctr against the private containerd in this client's namespace.</summary>
    public Task<ToolResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan? timeout = null)
    {
        var startInfo = new ProcessStartInfo(ContainerDaemons.CtrExecutable);
        foreach (var argument in (string[])["--address", _daemons.ContainerdSocket, "--namespace", Namespace, .. arguments])
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var name in startInfo.Environment.Keys.Where(n => n.StartsWith("CONTAINERD_", StringComparison.Ordinal)).ToList())
        {
            startInfo.Environment.Remove(name);
        }
        // A password given with --user is masked in what the test prints.
        var shown = arguments.Select((a, i) => i > 0 && arguments[i - 1] == "--user" ? a.Split(':')[0] + ":***" : a);
        return ToolRun.RunAsync(startInfo, "ctr " + string.Join(' ', shown), _output, timeout ?? DefaultTimeout);
    }

    /// <summary>The names of the images in this namespace.</summary>
    public async Task<IReadOnlyList<string>> ImageNamesAsync() =>
        Lines((await RunAsync(["images", "ls", "--quiet"])).EnsureSuccess().StdOut);

    /// <summary>The target digest of one image in this namespace (what its name points at).</summary>
    public async Task<string> ImageDigestAsync(string image)
    {
        // "REF TYPE DIGEST SIZE PLATFORMS LABELS", one line per image.
        var listing = (await RunAsync(["images", "ls"])).EnsureSuccess().StdOut;
        var line = Lines(listing).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(fields => fields.Length >= 3 && fields[0] == image);
        Assert.True(line is not null, $"ctr lists no image {image}:\n{listing}");
        return line[2];
    }

    /// <summary>The digests of the content (blobs) containerd holds in this namespace.</summary>
    public async Task<IReadOnlyList<string>> ContentDigestsAsync() =>
        Lines((await RunAsync(["content", "ls", "--quiet"])).EnsureSuccess().StdOut);

    public async ValueTask DisposeAsync()
    {
        var names = await ImageNamesAsync();
        if (names.Count > 0)
        {
            (await RunAsync(["images", "rm", "--sync", .. names])).EnsureSuccess();
        }
        // Leases and other leftovers can keep a namespace alive; the daemons' directory goes at the end of the run anyway.
        await RunAsync(["namespaces", "rm", Namespace]);
    }

    private static List<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
