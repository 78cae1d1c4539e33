using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// The real docker client talking to the test run's private engine (<see cref="ContainerDaemons"/>),
/// with a config directory of its own (so <c>docker login</c> stores credentials there, in the file:
/// no credential helper is installed). Disposing it removes every image from the engine, so the next
/// test pulls what it pulls over the network; tests run one at a time.
/// </summary>
public sealed partial class Docker : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);

    private readonly ContainerDaemons _daemons;
    private readonly ITestOutputHelper _output;

    internal Docker(ContainerDaemons daemons, ITestOutputHelper output)
    {
        _daemons = daemons;
        _output = output;
        ConfigDirectory = Path.Combine(Path.GetTempPath(), "wharf-docker-config-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(ConfigDirectory);
        File.WriteAllText(ConfigPath, """{"auths":{}}""");
    }

    public string ConfigDirectory { get; }

    /// <summary>The client's config.json, where docker login keeps credentials.</summary>
    public string ConfigPath => Path.Combine(ConfigDirectory, "config.json");

    /// <summary>Runs docker against the private engine; settings from the test host's environment are dropped.</summary>
    public Task<ToolResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan? timeout = null)
    {
        var startInfo = new ProcessStartInfo(ContainerDaemons.DockerExecutable);
        foreach (var argument in (string[])["-H", _daemons.DockerHost, .. arguments])
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var name in startInfo.Environment.Keys.Where(n => n.StartsWith("DOCKER_", StringComparison.Ordinal)).ToList())
        {
            startInfo.Environment.Remove(name);
        }
        startInfo.Environment["DOCKER_CONFIG"] = ConfigDirectory;
        // A password given with -p is masked in what the test prints.
        var shown = arguments.Select((a, i) => i > 0 && arguments[i - 1] == "--password" ? "***" : a);
        return ToolRun.RunAsync(startInfo, "docker " + string.Join(' ', shown), _output, timeout ?? DefaultTimeout);
    }

    public async Task PullAsync(string image, WharfProcess server) => (await RunAsync(["pull", image])).EnsureSuccess(server);

    /// <summary>docker push; returns what it printed (which layers it pushed, mounted or found) and the manifest digest it reports.</summary>
    public async Task<(ToolResult Result, string Digest)> PushAsync(string image, WharfProcess server)
    {
        var result = (await RunAsync(["push", image])).EnsureSuccess(server);
        var match = PushedDigest().Match(result.StdOut);
        Assert.True(match.Success, $"docker push printed no digest:\n{result.StdOut}");
        return (result, match.Groups[1].Value);
    }

    public async Task TagAsync(string image, string name) => (await RunAsync(["tag", image, name])).EnsureSuccess();

    /// <summary>The image ID (the config's digest) of a local image.</summary>
    public async Task<string> ImageIdAsync(string image) => await InspectAsync(image, "{{.Id}}");

    /// <summary>docker image inspect --format FORMAT IMAGE, trimmed.</summary>
    public async Task<string> InspectAsync(string image, string format) =>
        (await RunAsync(["image", "inspect", "--format", format, image])).EnsureSuccess().StdOut.Trim();

    /// <summary>docker load of an image archive (docker save's format); returns the names it loaded.</summary>
    public async Task<string> LoadAsync(string archive) => (await RunAsync(["load", "--input", archive])).EnsureSuccess().StdOut.Trim();

    /// <summary>
    /// Puts an image of an OCI layout into the engine without a registry: skopeo writes it as a
    /// docker-archive named <paramref name="name"/> (next to the layout, deleted afterwards), docker loads it.
    /// </summary>
    public async Task LoadFromLayoutAsync(Skopeo skopeo, OciLayout layout, string tag, string name)
    {
        var archive = layout.Root.TrimEnd('/') + $"-{Guid.NewGuid():N}.docker.tar";
        try
        {
            (await skopeo.CopyAsync($"oci:{layout.Root}:{tag}", $"docker-archive:{archive}:{name}")).EnsureSuccess();
            Assert.Contains(name, await LoadAsync(archive), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(archive);
        }
    }

    public Task<ToolResult> LoginAsync(string registry, string user, string password) =>
        RunAsync(["login", "--username", user, "--password", password, registry]);

    public Task<ToolResult> LogoutAsync(string registry) => RunAsync(["logout", registry]);

    /// <summary>Removes every image from the engine, then checks it holds none.</summary>
    public async Task RemoveAllImagesAsync()
    {
        var ids = (await RunAsync(["images", "--all", "--quiet", "--no-trunc"])).EnsureSuccess().StdOut
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        if (ids.Count > 0)
        {
            (await RunAsync(["rmi", "--force", .. ids])).EnsureSuccess();
        }
        var left = (await RunAsync(["images", "--all", "--quiet"])).EnsureSuccess().StdOut.Trim();
        Assert.True(left.Length == 0, $"docker rmi left images behind:\n{left}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RemoveAllImagesAsync();
        }
        finally
        {
            try
            {
                Directory.Delete(ConfigDirectory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A leftover temp directory must not fail the test.
            }
        }
    }

    // "v1: digest: sha256:... size: 527"
    [GeneratedRegex(@"digest: (sha256:[0-9a-f]{64}) size: \d+")]
    private static partial Regex PushedDigest();
}
