using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// Runs the real buildah client as root with the same private storage and configuration as
/// <see cref="Podman"/> (<see cref="ContainersSandbox"/>: vfs, its own registries.conf, storage.conf,
/// containers.conf, policy and auth file), chroot isolation (no user namespaces needed), and no retries
/// on push and pull, since a retry would hide a server error.
/// </summary>
public sealed class Buildah : IDisposable
{
    public const string NotInstalledMessage = "buildah is not installed: run .ci/run or apt-get install buildah";

    private static readonly Dictionary<string, string> Environment = new() { ["BUILDAH_ISOLATION"] = "chroot" };
    private readonly ITestOutputHelper? _output;
    private readonly string _executable;
    private readonly ContainersSandbox _sandbox;

    /// <summary>Fails the test (never skips it) when buildah is not installed.</summary>
    public Buildah(ITestOutputHelper? output, params string[] insecureRegistries)
    {
        _executable = ContainersSandbox.FindOnPath("buildah") ?? throw new InvalidOperationException(NotInstalledMessage);
        _output = output;
        _sandbox = new ContainersSandbox("buildah", insecureRegistries);
    }

    public ContainersSandbox Sandbox => _sandbox;

    /// <summary>Runs buildah with the isolating global options and <paramref name="arguments"/>.</summary>
    public Task<ToolResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan? timeout = null) =>
        _sandbox.RunAsync(_executable,
            ["--root", _sandbox.StorageRoot, "--runroot", _sandbox.RunRoot, "--storage-driver", "vfs",
             "--cgroup-manager", "cgroupfs"],
            arguments, Environment, _output, timeout);

    /// <summary>buildah from scratch; returns the working container's name.</summary>
    public async Task<string> FromScratchAsync()
    {
        var result = await RunAsync(["from", "--signature-policy", _sandbox.PolicyPath, "scratch"]);
        return Podman.NonEmpty(result.EnsureSuccess().LastLine, result);
    }

    /// <summary>buildah from IMAGE, always pulling it; returns the working container's name.</summary>
    public async Task<string> FromAsync(string image, WharfProcess? server, bool skipTlsVerify = true)
    {
        var result = await RunAsync(
            ["from", "--signature-policy", _sandbox.PolicyPath, "--pull=always", "--retry", "0",
             .. Podman.TlsOptions(skipTlsVerify), image]);
        return Podman.NonEmpty(result.EnsureSuccess(server).LastLine, result);
    }

    /// <summary>buildah copy [OPTIONS] CONTAINER SOURCE DESTINATION.</summary>
    public async Task CopyAsync(string container, string source, string destination, params string[] options) =>
        (await RunAsync(["copy", .. options, container, source, destination])).EnsureSuccess();

    /// <summary>buildah config OPTIONS CONTAINER.</summary>
    public async Task ConfigAsync(string container, params string[] options) =>
        (await RunAsync(["config", .. options, container])).EnsureSuccess();

    /// <summary>buildah commit --format FORMAT (oci or docker); returns the image ID.</summary>
    public async Task<string> CommitAsync(string container, string imageName, string format)
    {
        var result = await RunAsync(
            ["commit", "--signature-policy", _sandbox.PolicyPath, "--format", format, container, imageName]);
        return Podman.NonEmpty(result.EnsureSuccess().LastLine, result);
    }

    /// <summary>buildah push IMAGE DESTINATION; returns the manifest digest buildah reports it pushed (--digestfile).</summary>
    public async Task<string> PushAsync(string image, string destination, WharfProcess? server, bool skipTlsVerify = true)
    {
        var digestFile = _sandbox.NewFilePath("digest");
        (await RunAsync(
            ["push", "--signature-policy", _sandbox.PolicyPath, "--retry", "0", "--digestfile", digestFile,
             .. Podman.TlsOptions(skipTlsVerify), image, destination]))
            .EnsureSuccess(server);
        return File.ReadAllText(digestFile).Trim();
    }

    /// <summary>buildah inspect --type image --format FORMAT IMAGE, trimmed.</summary>
    public async Task<string> InspectImageAsync(string image, string format) =>
        (await RunAsync(["inspect", "--type", "image", "--format", format, image])).EnsureSuccess().StdOut.Trim();

    public void Dispose() => _sandbox.Dispose();
}
