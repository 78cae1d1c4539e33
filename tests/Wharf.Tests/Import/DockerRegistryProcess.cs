using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Wharf.Tests.Import;

/// <summary>
/// CNCF distribution 2.8 (Debian's <c>docker-registry</c>, the registry:2 binary) as a child process,
/// on a free loopback port with a filesystem root the caller owns, so a test can fill a real
/// distribution data directory through the real API and then hand it to Wharf.
/// </summary>
public sealed class DockerRegistryProcess : IAsyncDisposable
{
    public const string NotInstalledMessage =
        "docker-registry (CNCF distribution, the registry:2 binary) is not installed: apt-get install docker-registry";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);
    private readonly ITestOutputHelper? _output;
    private readonly string _configDirectory;
    private readonly List<string> _log = [];
    private Process? _process;

    private readonly DistributionS3? _s3;

    private DockerRegistryProcess(string rootDirectory, ITestOutputHelper? output, DistributionS3? s3 = null)
    {
        RootDirectory = rootDirectory;
        _output = output;
        _s3 = s3;
        _configDirectory = Path.Combine(Path.GetTempPath(), "wharf-docker-registry-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_configDirectory);
    }

    public string RootDirectory { get; }

    public int Port { get; private set; }

    public string HostPort => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>Fails (never skips) when docker-registry is not installed.</summary>
    public static Task<DockerRegistryProcess> StartAsync(string rootDirectory, ITestOutputHelper? output = null) =>
        StartAsync(rootDirectory, output, null);

    /// <summary>Distribution with a configuration file of the caller's, which must make it listen on
    /// 127.0.0.1:<paramref name="port"/>; GET /v2/ may answer 401 when the file turns sign-in on.</summary>
    public static async Task<DockerRegistryProcess> StartWithConfigAsync(string configFile, string rootDirectory, int port, ITestOutputHelper? output = null)
    {
        var executable = FindOnPath("docker-registry") ?? throw new InvalidOperationException(NotInstalledMessage);
        var registry = new DockerRegistryProcess(rootDirectory, output) { _givenConfig = configFile, Port = port };
        try
        {
            await registry.LaunchAsync(executable, lastAttempt: true);
            return registry;
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    private string? _givenConfig;

    /// <summary>Distribution with its S3 storage driver on <paramref name="s3"/> instead of a directory.</summary>
    public static Task<DockerRegistryProcess> StartOnS3Async(DistributionS3 s3, ITestOutputHelper? output = null) =>
        StartAsync(s3.RootDirectory, output, s3);

    private static async Task<DockerRegistryProcess> StartAsync(string rootDirectory, ITestOutputHelper? output, DistributionS3? s3)
    {
        var executable = FindOnPath("docker-registry") ?? throw new InvalidOperationException(NotInstalledMessage);
        var registry = new DockerRegistryProcess(rootDirectory, output, s3);
        try
        {
            // A free port found by binding and releasing may be taken before the registry binds it.
            for (var attempt = 1; ; attempt++)
            {
                registry.Port = FindFreePort();
                if (await registry.LaunchAsync(executable, lastAttempt: attempt >= 3))
                {
                    return registry;
                }
            }
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    public HttpClient CreateClient() => new() { BaseAddress = new Uri($"http://{HostPort}/"), Timeout = TimeSpan.FromMinutes(1) };

    public string RecentOutput()
    {
        lock (_log)
        {
            return string.Join('\n', _log.TakeLast(80));
        }
    }

    /// <summary>SIGTERM, then SIGKILL if it lingers: the data directory is complete either way,
    /// since distribution writes each link before answering.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            _output?.WriteLine("---- docker-registry output (last lines) ----\n" + RecentOutput());
        }
        catch (InvalidOperationException)
        {
            // The test is over; nowhere to write.
        }
        try
        {
            Directory.Delete(_configDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private async Task<bool> LaunchAsync(string executable, bool lastAttempt)
    {
        var config = _givenConfig ?? Path.Combine(_configDirectory, "config.yml");
        var driver = _s3 is { } s3
            ? $"""
                s3:
                    region: us-east-1
                    regionendpoint: {s3.Endpoint}
                    bucket: {s3.Bucket}
                    accesskey: {s3.AccessKey}
                    secretkey: {s3.SecretKey}
                    rootdirectory: {s3.RootDirectory}
                    secure: false
                    v4auth: true
                    forcepathstyle: true
              """
            : $"""
                filesystem:
                    rootdirectory: {RootDirectory}
              """;
        if (_givenConfig is null)
        {
            await WriteConfigAsync(config, driver);
        }
        StartProcess(executable, config);
        return await WaitUntilAnsweringAsync(lastAttempt);
    }

    private Task WriteConfigAsync(string config, string driver) =>
        File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: info
            storage:
            {driver}
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: {HostPort}
            """);

    private void StartProcess(string executable, string config)
    {
        var startInfo = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _configDirectory,
        };
        startInfo.ArgumentList.Add("serve");
        startInfo.ArgumentList.Add(config);
        // REGISTRY_* variables override the configuration file; none may leak in from the machine.
        foreach (var name in startInfo.Environment.Keys.Where(k => k.StartsWith("REGISTRY_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            startInfo.Environment.Remove(name);
        }
        // Distribution's S3 driver refuses to start when this names a bundle it cannot load (these
        // machines set it); the engine here is plain HTTP on loopback.
        startInfo.Environment.Remove("AWS_CA_BUNDLE");
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    private async Task<bool> WaitUntilAnsweringAsync(bool lastAttempt)
    {
        var process = _process!;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartupTimeout)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync();
                var output = RecentOutput();
                process.Dispose();
                _process = null;
                if (!lastAttempt && output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
                throw new InvalidOperationException($"docker-registry exited before answering GET /v2/ on {HostPort}.\n{output}");
            }
            try
            {
                using var response = await http.GetAsync(new Uri($"http://{HostPort}/v2/"));
                if (response.StatusCode == HttpStatusCode.OK || (_givenConfig is not null && response.StatusCode == HttpStatusCode.Unauthorized))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"docker-registry did not answer GET /v2/ on {HostPort} within {StartupTimeout.TotalSeconds} s.\n{RecentOutput()}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.Add(line);
        }
    }

    internal static int FindFreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}

/// <summary>Where distribution's S3 driver keeps its data: a bucket of an S3 engine, under
/// <paramref name="RootDirectory"/> (the driver's <c>rootdirectory</c>, e.g. <c>/distribution</c>).</summary>
public sealed record DistributionS3(string Endpoint, string Bucket, string AccessKey, string SecretKey, string RootDirectory);
