using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>What one skopeo run did; stdout is kept as bytes because "inspect --raw" output is hashed.</summary>
public sealed record SkopeoResult(string CommandLine, int ExitCode, byte[] StdOutBytes, string StdErr, TimeSpan Elapsed)
{
    public string StdOut => Encoding.UTF8.GetString(StdOutBytes);

    public bool Succeeded => ExitCode == 0;

    /// <summary>Fails the test with skopeo's output (and the server's, when given) unless skopeo exited 0.</summary>
    public SkopeoResult EnsureSuccess(WharfProcess? server = null)
    {
        if (!Succeeded)
        {
            Assert.Fail($"{CommandLine} exited with {ExitCode}.\nstderr:\n{StdErr}\nstdout:\n{StdOut}" +
                (server is null ? "" : $"\nWharf output:\n{server.RecentOutput(80)}"));
        }

        return this;
    }
}

/// <summary>
/// Runs the real skopeo client against a plain-HTTP registry, isolated from the machine's configuration:
/// its own accept-anything signature policy, an empty registries.conf and registries.d, its own temp dir,
/// anonymous access and no retries (a retry would hide a server error).
/// </summary>
public sealed class Skopeo : IDisposable
{
    public const string NotInstalledMessage = "skopeo is not installed: run .ci/run or apt-get install skopeo";
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    private readonly ITestOutputHelper? _output;
    private readonly string _configDir;
    private readonly string _executable;

    /// <summary>Fails the test (never skips it) when skopeo is not installed.</summary>
    public Skopeo(ITestOutputHelper? output = null)
    {
        _executable = FindOnPath("skopeo") ?? throw new InvalidOperationException(NotInstalledMessage);
        _output = output;
        _configDir = Path.Combine(Path.GetTempPath(), "wharf-skopeo-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_configDir, "registries.d"));
        Directory.CreateDirectory(Path.Combine(_configDir, "tmp"));
        File.WriteAllText(PolicyPath, """{"default":[{"type":"insecureAcceptAnything"}]}""");
        File.WriteAllText(RegistriesConfPath, "");
    }

    private string PolicyPath => Path.Combine(_configDir, "policy.json");

    private string RegistriesConfPath => Path.Combine(_configDir, "registries.conf");

    /// <summary>skopeo copy between any two transports; extra options (e.g. --all) go before the images.</summary>
    public Task<SkopeoResult> CopyAsync(string source, string destination, params string[] options) => RunAsync(
        ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-no-creds", "--dest-no-creds",
         "--retry-times", "0", .. options, source, destination]);

    /// <summary>The manifest bytes exactly as the registry serves them.</summary>
    public Task<SkopeoResult> InspectRawAsync(string image) =>
        RunAsync(["inspect", "--raw", "--tls-verify=false", "--no-creds", "--retry-times", "0", image]);

    public Task<SkopeoResult> ListTagsAsync(string repository) =>
        RunAsync(["list-tags", "--tls-verify=false", "--no-creds", "--retry-times", "0", repository]);

    public Task<SkopeoResult> DeleteAsync(string image) =>
        RunAsync(["delete", "--tls-verify=false", "--no-creds", "--retry-times", "0", image]);

    /// <summary>Runs skopeo with the isolating global options and <paramref name="arguments"/>.</summary>
    public async Task<SkopeoResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan? timeout = null)
    {
        var startInfo = new ProcessStartInfo(_executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] global = ["--policy", PolicyPath, "--registries.d", Path.Combine(_configDir, "registries.d"),
                           "--tmpdir", Path.Combine(_configDir, "tmp")];
        foreach (var arg in global.Concat(arguments))
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment["CONTAINERS_REGISTRIES_CONF"] = RegistriesConfPath;
        var commandLine = "skopeo " + string.Join(' ', arguments);
        _output?.WriteLine("$ " + commandLine);

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(startInfo)!;
        var stdout = new MemoryStream();
        var stdoutTask = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderrTask = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{commandLine} did not finish within {(timeout ?? DefaultTimeout).TotalSeconds} s.\n" +
                $"stderr:\n{await stderrTask}");
        }

        await stdoutTask;
        var result = new SkopeoResult(commandLine, process.ExitCode, stdout.ToArray(), await stderrTask, clock.Elapsed);
        _output?.WriteLine($"  exit {result.ExitCode} after {result.Elapsed.TotalSeconds:F1} s");
        if (!result.Succeeded)
        {
            _output?.WriteLine("  stderr: " + result.StdErr.Trim());
        }

        return result;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_configDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory must not fail the test.
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
