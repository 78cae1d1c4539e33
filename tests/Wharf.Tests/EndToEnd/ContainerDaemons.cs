using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// The docker and containerd tests share one pair of daemons for the whole test run, and run one test
/// at a time (after the tests that may run in parallel), as the other end-to-end tests do.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ContainerDaemonsCollection : ICollectionFixture<ContainerDaemons>
{
    public const string Name = "ContainerDaemons";
}

/// <summary>
/// A private containerd with a Docker engine on top of it, started once per test run by
/// <c>scripts/container-daemons</c> (in a directory of its own under /tmp: sockets, state, logs) and
/// stopped by pid when the run ends. When they cannot start, every test that uses them fails with
/// the script's output; none is skipped. Tests keep out of each other's way: each docker client has
/// its own config directory (credentials), each ctr client its own containerd namespace, and both
/// remove the images they made.
/// </summary>
public sealed class ContainerDaemons : IAsyncLifetime
{
    // Short: the sockets inside must fit in a 108-byte Unix socket path.
    private readonly string _directory = Path.Combine("/tmp", "wharf-daemons-" + Guid.NewGuid().ToString("N")[..10]);

    public string ContainerdSocket => Path.Combine(_directory, "containerd.sock");

    public string DockerHost => "unix://" + Path.Combine(_directory, "docker.sock");

    /// <summary>Debian's docker.io client, which speaks the engine's API version; another docker on
    /// PATH may be a newer CLI.</summary>
    public static string DockerExecutable => File.Exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker";

    public static string CtrExecutable => ContainersSandbox.FindOnPath("ctr") ?? "/usr/bin/ctr";

    /// <summary>The architecture name images use for this machine (what docker and ctr pull from an index).</summary>
    public static string MachineArchitecture => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        var other => other.ToString().ToLowerInvariant(),
    };

    public Docker NewDocker(ITestOutputHelper output) => new(this, output);

    public Ctr NewCtr(ITestOutputHelper output) => new(this, output);

    public async Task InitializeAsync()
    {
        var (exitCode, output) = await RunScriptAsync("start");
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"scripts/container-daemons could not start containerd and dockerd (run .ci/run, or apt-get install containerd docker.io, as root):\n{output}");
        }
    }

    public async Task DisposeAsync() => await RunScriptAsync("stop");

    private async Task<(int ExitCode, string Output)> RunScriptAsync(string command)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Auth.RepositoryRoot.Find(), "scripts", "container-daemons"));
        start.ArgumentList.Add(command);
        start.ArgumentList.Add(_directory);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
