using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// The real Wharf server running as a child process (dotnet Wharf.dll) on a free loopback port with a
/// fresh storage root, so end-to-end tests talk to it over real HTTP exactly as registry clients do.
/// </summary>
public sealed class WharfProcess : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan GracefulStopTimeout = TimeSpan.FromSeconds(15);
    private const int MaxLogLines = 4000;
    private const int LogTailLinesOnDispose = 60;

    private readonly ITestOutputHelper? _output;
    private readonly string _tempRoot;
    private readonly Lock _logLock = new();
    private readonly Queue<string> _log = new();
    private readonly IReadOnlyList<string> _extraArguments = [];
    private readonly X509Certificate2? _httpsRoot;
    private Process? _process;
    private bool _disposed;

    private WharfProcess(ITestOutputHelper? output, string? storageRoot = null)
    {
        _output = output;
        _tempRoot = Path.Combine(Path.GetTempPath(), "wharf-e2e-" + Guid.NewGuid().ToString("N"));
        StorageRoot = storageRoot ?? Path.Combine(_tempRoot, "storage");
        Directory.CreateDirectory(StorageRoot);
    }

    private WharfProcess(ITestOutputHelper? output, WharfStartOptions options)
        : this(output)
    {
        _extraArguments = options.Arguments;
        _httpsRoot = options.HttpsRoot;
        _portFromConfig = options.PortFromConfig;
        _workingDirectory = options.WorkingDirectory;
    }

    private readonly string? _workingDirectory;

    private readonly int? _portFromConfig;

    public int Port { get; private set; }

    /// <summary>"127.0.0.1:PORT", the registry host as skopeo and image references spell it.</summary>
    public string HostPort => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>"https" when started with <see cref="WharfStartOptions.HttpsRoot"/>, else "http".</summary>
    public string Scheme => _httpsRoot is null ? "http" : "https";

    public Uri BaseAddress => new($"{Scheme}://{HostPort}/");

    public string StorageRoot { get; }

    public int Pid => _process?.Id ?? throw new InvalidOperationException("Wharf is not running.");

    /// <summary>The path of the server assembly, copied next to the tests by the project reference.</summary>
    public static string ServerDll => Path.Combine(AppContext.BaseDirectory, "Wharf.dll");

    /// <summary>A published server executable to test instead of the built Wharf.dll, e.g. the Native
    /// AOT build: <c>WHARF_TEST_SERVER=/path/to/Wharf dotnet test --filter Category=EndToEnd</c>.</summary>
    public static string? ServerExecutable => Environment.GetEnvironmentVariable("WHARF_TEST_SERVER") is { Length: > 0 } path ? path : null;

    /// <summary>Starts a server and waits until GET /v2/ answers 200.</summary>
    public static Task<WharfProcess> StartAsync(ITestOutputHelper? output = null) => StartAsync(new WharfProcess(output));

    /// <summary>Starts a server on an existing storage root (an imported registry:2 directory, say),
    /// which the caller owns: disposing the server leaves it in place.</summary>
    public static Task<WharfProcess> StartAsync(string storageRoot, ITestOutputHelper? output = null) =>
        StartAsync(new WharfProcess(output, storageRoot));

    /// <summary>
    /// Starts a server with extra command-line arguments (auth settings, a --config file, TLS files),
    /// given after the defaults so they override them; with <see cref="WharfStartOptions.HttpsRoot"/>
    /// it listens on https:// and every client made here trusts that root and nothing else. The server
    /// counts as started when GET /v2/ answers 200, or 401 when authentication is on.
    /// </summary>
    public static Task<WharfProcess> StartAsync(WharfStartOptions options, ITestOutputHelper? output = null) =>
        StartAsync(new WharfProcess(output, options));

    private static async Task<WharfProcess> StartAsync(WharfProcess wharf)
    {
        try
        {
            // The free port is found by binding and releasing it, so another process may grab it
            // before the server binds; a fresh port is tried when that race is lost.
            for (var attempt = 1; ; attempt++)
            {
                wharf.Port = wharf._portFromConfig ?? FindFreePort();
                if (await wharf.LaunchAsync(throwOnPortInUse: attempt >= 3 || wharf._portFromConfig is not null))
                {
                    return wharf;
                }
            }
        }
        catch
        {
            await wharf.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Stops the server (SIGTERM then wait when <paramref name="graceful"/>, SIGKILL otherwise) and starts
    /// it again on the same port and storage root, as a restarted or crashed deployment would.
    /// </summary>
    public async Task RestartAsync(bool graceful = true)
    {
        await StopAsync(graceful);
        AppendLog($"---- restart ({(graceful ? "graceful" : "kill")}) ----");

        // The old listening socket may linger briefly; keep trying the same port for a while.
        var deadline = Stopwatch.StartNew();
        while (!await LaunchAsync(throwOnPortInUse: deadline.Elapsed > TimeSpan.FromSeconds(20)))
        {
            await Task.Delay(250);
        }
    }

    /// <summary>Creates a client for this server; the caller disposes it.</summary>
    public HttpClient CreateClient(TimeSpan? timeout = null) =>
        new(CreateHandler()) { BaseAddress = BaseAddress, Timeout = timeout ?? TimeSpan.FromMinutes(2) };

    /// <summary>A handler for this server: over https it trusts only <see cref="WharfStartOptions.HttpsRoot"/>
    /// (the host name is still checked); the caller disposes it.</summary>
    public SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler();
        if (_httpsRoot is not null)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.Add(_httpsRoot);
            handler.SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy };
        }

        return handler;
    }

    /// <summary>Peak resident set size of the server process (VmHWM), in bytes.</summary>
    public long ReadPeakRssBytes() => ReadProcStatusBytes("VmHWM:");

    /// <summary>Current resident set size of the server process (VmRSS), in bytes.</summary>
    public long ReadCurrentRssBytes() => ReadProcStatusBytes("VmRSS:");

    /// <summary>The server's captured stdout and stderr (the most recent lines), for failure messages.</summary>
    public string RecentOutput(int maxLines = 200)
    {
        lock (_logLock)
        {
            return string.Join('\n', _log.Skip(Math.Max(0, _log.Count - maxLines)));
        }
    }

    /// <summary>
    /// The server's captured output lines that contain <paramref name="fragment"/>, once there are at
    /// least <paramref name="count"/> of them or <paramref name="timeout"/> has passed (the server writes
    /// its log in batches every 100 ms), for a test to check what the server saw a client do.
    /// </summary>
    public async Task<IReadOnlyList<string>> WaitForOutputLinesAsync(string fragment, int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            List<string> lines;
            lock (_logLock)
            {
                lines = _log.Where(line => line.Contains(fragment, StringComparison.Ordinal)).ToList();
            }
            if (lines.Count >= count || clock.Elapsed > timeout)
            {
                return lines;
            }
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopAsync(graceful: false);
        WriteLogTailToTestOutput();
        DeleteTempRoot();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        KillAndRelease();
        WriteLogTailToTestOutput();
        DeleteTempRoot();
    }

    private long ReadProcStatusBytes(string key)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                // Format: "VmHWM:\t  123456 kB" (tabs and spaces).
                var parts = line[key.Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"{key} not found in /proc/{Pid}/status.");
    }

    /// <summary>Returns false when the port was taken and the caller may retry.</summary>
    private async Task<bool> LaunchAsync(bool throwOnPortInUse)
    {
        if (ServerExecutable is null && !File.Exists(ServerDll))
        {
            throw new FileNotFoundException($"The server assembly was not found at {ServerDll}.");
        }

        var startInfo = new ProcessStartInfo(ServerExecutable ?? DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The output directory is where the server's appsettings.json and runtimeconfig live.
            WorkingDirectory = _workingDirectory ?? AppContext.BaseDirectory,
        };
        var server = ServerExecutable is null ? new[] { ServerDll } : [];
        string[] defaults = _portFromConfig is null ? ["--urls", $"{Scheme}://{HostPort}", "--Storage:Root", StorageRoot] : [];
        foreach (var arg in server.Concat(defaults).Concat(_extraArguments))
        {
            startInfo.ArgumentList.Add(arg);
        }

        // Settings inherited from the test host or the machine (ASPNETCORE_*, WHARF_*) must not change
        // the server under test; it runs with its own defaults plus the arguments above.
        foreach (var name in startInfo.Environment.Keys.ToList())
        {
            if (name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) ||
                name.StartsWith("WHARF_", StringComparison.OrdinalIgnoreCase) ||
                name.Equals("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase))
            {
                startInfo.Environment.Remove(name);
            }
        }

        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) AppendLog(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) AppendLog("[stderr] " + e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        AppendLog($"---- started pid {process.Id} on {HostPort} ----");

        using var http = new HttpClient(CreateHandler()) { Timeout = TimeSpan.FromSeconds(2) };
        var ready = new Uri(BaseAddress, "v2/");
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartupTimeout)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(); // flushes the redirected output
                var exitCode = process.ExitCode;
                KillAndRelease();
                var output = RecentOutput();
                if (!throwOnPortInUse && output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }

                throw new InvalidOperationException(
                    $"Wharf exited with code {exitCode} before answering GET /v2/ on {HostPort}.\n{output}");
            }

            try
            {
                using var response = await http.GetAsync(ready);
                if (response.StatusCode == HttpStatusCode.OK ||
                    (response.StatusCode == HttpStatusCode.Unauthorized && _extraArguments.Count > 0))
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Listening but slow to answer while starting.
            }

            await Task.Delay(100);
        }

        KillAndRelease();
        throw new TimeoutException(
            $"Wharf did not answer 200 to GET /v2/ on {HostPort} within {StartupTimeout.TotalSeconds} s.\n{RecentOutput()}");
    }

    private async Task StopAsync(bool graceful)
    {
        if (_process is { HasExited: false } process && graceful)
        {
            // Process.Kill only sends SIGKILL; SIGTERM lets the host shut down as in production.
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(GracefulStopTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                AppendLog($"---- pid {process.Id} ignored SIGTERM for {GracefulStopTimeout.TotalSeconds} s; killing ----");
            }
        }

        KillAndRelease();
    }

    private void KillAndRelease()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(10_000);
            AppendLog($"---- pid {_process.Id} exited ----");
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        _process = null;
    }

    private void AppendLog(string line)
    {
        lock (_logLock)
        {
            _log.Enqueue(line);
            while (_log.Count > MaxLogLines)
            {
                _log.Dequeue();
            }
        }
    }

    private void WriteLogTailToTestOutput()
    {
        if (_output is null)
        {
            return;
        }

        try
        {
            _output.WriteLine($"---- Wharf output (last {LogTailLinesOnDispose} lines) ----");
            _output.WriteLine(RecentOutput(LogTailLinesOnDispose));
        }
        catch (InvalidOperationException)
        {
            // Disposed after the test finished; nowhere to write.
        }
    }

    private void DeleteTempRoot()
    {
        try
        {
            Directory.Delete(_tempRoot, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory must not fail the test.
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

    /// <summary>The dotnet host running these tests, so the server uses the same runtime.</summary>
    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return "dotnet";
    }
}

/// <summary>How <see cref="WharfProcess.StartAsync(WharfStartOptions, ITestOutputHelper?)"/> starts a server.</summary>
public sealed record WharfStartOptions
{
    /// <summary>Command-line arguments after the defaults (--urls, --Storage:Root), which they override.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>When set, the server is reached over https:// and its certificate must chain to this root
    /// (the arguments must then include --Tls:Certificate and --Tls:Key).</summary>
    public X509Certificate2? HttpsRoot { get; init; }

    /// <summary>The port the <c>--config</c> file among <see cref="Arguments"/> makes the server listen
    /// on; when set, the server gets no --urls and no --Storage:Root, so the file's own apply.</summary>
    public int? PortFromConfig { get; init; }

    /// <summary>The server's working directory (its content root); by default the test binaries' directory.</summary>
    public string? WorkingDirectory { get; init; }
}
