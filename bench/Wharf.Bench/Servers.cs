using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Wharf.Bench;

/// <summary>
/// A server under test (or nginx) as a child process on a loopback port, with its stdout and
/// stderr in a log file, its memory read from /proc, and its start timed to the first 200.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly string log;

    private ServerProcess(string name, Process process, Uri baseUri, string log)
    {
        Name = name;
        this.process = process;
        BaseUri = baseUri;
        this.log = log;
    }

    public string Name { get; }
    public Uri BaseUri { get; }
    public int Pid => process.Id;

    /// <summary>From just before the process was started to the first 200 on the ready URL.</summary>
    public TimeSpan StartupTime { get; private set; }

    public static Task<ServerProcess> StartWharfAsync(Options options, string dataDir) =>
        StartWharfAsync(options, dataDir, Results.Wharf, []);

    /// <summary>Wharf with more settings (other providers), under a name of its own.</summary>
    public static Task<ServerProcess> StartWharfAsync(Options options, string dataDir, string name, string[] moreSettings)
    {
        var port = FreePort();
        // A .dll runs on the dotnet host; anything else is a native (AOT) executable.
        string[] settings = ["--urls", $"http://127.0.0.1:{port}", "--Storage:Root", dataDir, .. moreSettings];
        var native = !options.WharfDll.EndsWith(".dll", StringComparison.Ordinal);
        return StartAsync(name, options, native ? options.WharfDll : "dotnet",
            native ? settings : [options.WharfDll, .. settings],
            dataDir + ".log", new Uri($"http://127.0.0.1:{port}/"), "v2/");
    }

    /// <summary>
    /// Distribution with its S3 driver on <paramref name="s3"/>, otherwise configured as in
    /// <see cref="StartDistributionAsync"/>. It redirects blob GETs to presigned URLs unless
    /// <paramref name="redirect"/> is false. AWS_CA_BUNDLE is taken out of its environment: its S3
    /// driver panics at start when that variable names a bundle ("unable to load custom CA bundle").
    /// </summary>
    public static Task<ServerProcess> StartDistributionS3Async(Options options, string dataDir, string name, S3Settings s3, string bucket, bool redirect)
    {
        var port = FreePort();
        Directory.CreateDirectory(dataDir);
        var config = dataDir + ".yml";
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: warn
              accesslog:
                disabled: true
            storage:
              s3:
                region: {S3Settings.Region}
                regionendpoint: {s3.Endpoint}
                bucket: {bucket}
                accesskey: {s3.AccessKey}
                secretkey: {s3.SecretKey}
                rootdirectory: /{S3Settings.Prefix}
                secure: false
                v4auth: true
                forcepathstyle: true
              cache:
                blobdescriptor: inmemory
              delete:
                enabled: true
              redirect:
                disable: {(redirect ? "false" : "true")}
            http:
              addr: 127.0.0.1:{port}
            """);
        return StartAsync(name, options, "/usr/bin/docker-registry", ["serve", config],
            dataDir + ".log", new Uri($"http://127.0.0.1:{port}/"), "v2/", removeFromEnvironment: ["AWS_CA_BUNDLE"]);
    }

    public static Task<ServerProcess> StartDistributionAsync(Options options, string dataDir)
    {
        var port = FreePort();
        Directory.CreateDirectory(dataDir);
        // The registry:2 image's own configuration (filesystem storage, in-memory blob descriptor
        // cache), with deletes on as in Wharf, and per-request logging off as in Wharf.
        var config = dataDir + ".yml";
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: warn
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {dataDir}
              cache:
                blobdescriptor: inmemory
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port}
            """);
        return StartAsync(Results.Distribution, options, "/usr/bin/docker-registry", ["serve", config],
            dataDir + ".log", new Uri($"http://127.0.0.1:{port}/"), "v2/");
    }

    /// <summary>nginx serving the files in <paramref name="root"/> with sendfile: the limit for pulls.</summary>
    public static Task<ServerProcess> StartNginxAsync(Options options, string dir, string root, string readyPath)
    {
        var port = FreePort();
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "nginx.conf");
        File.WriteAllText(config, $$"""
            daemon off;
            user root;
            worker_processes auto;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log warn;
            events { worker_connections 1024; }
            http {
              access_log off;
              sendfile on;
              # No tcp_nopush: with keep-alive it holds the tail of each small range response
              # for the peer's delayed ACK, capping 64 KiB ranges at 25 per connection per second.
              keepalive_requests 100000;
              default_type application/octet-stream;
              server {
                listen 127.0.0.1:{{port}};
                location / { root {{root}}; }
              }
            }
            """);
        return StartAsync("nginx", options, "/usr/sbin/nginx", ["-p", dir, "-e", Path.Combine(dir, "error.log"), "-c", config],
            Path.Combine(dir, "nginx.log"), new Uri($"http://127.0.0.1:{port}/"), readyPath);
    }

    private static async Task<ServerProcess> StartAsync(string name, Options options, string file, string[] args, string log, Uri baseUri, string readyPath, string[]? removeFromEnvironment = null)
    {
        // Through sh only to send output to the log file: exec keeps the pid, so the pid we
        // measure is the server's own.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$0\" \"$@\" >>\"$BENCH_LOG\" 2>&1 </dev/null");
        start.ArgumentList.Add(file);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["BENCH_LOG"] = log;
        foreach (var variable in removeFromEnvironment ?? [])
        {
            start.Environment.Remove(variable);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);

        var clock = Stopwatch.StartNew();
        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        // bench/run kills whatever is listed here if this program dies without stopping its servers.
        File.AppendAllText(Path.Combine(options.WorkDir, "pids"), $"{process.Id}\n");
        var server = new ServerProcess(name, process, baseUri, log);

        using var probe = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(1) })
        {
            Timeout = TimeSpan.FromSeconds(5),
        };
        var ready = new Uri(baseUri, readyPath);
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                break;
            }
            try
            {
                using var response = await probe.GetAsync(ready);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    server.StartupTime = clock.Elapsed;
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(5);
        }
        var exited = process.HasExited ? $"it exited with status {process.ExitCode}" : "it was still running";
        await server.DisposeAsync();
        throw new InvalidOperationException(
            $"{name} did not answer 200 on {ready} within {clock.Elapsed.TotalSeconds:0.0} s ({exited}); log {log}:\n{server.LogTail()}");
    }

    /// <summary>A field of /proc/&lt;pid&gt;/status in MiB: VmRSS now, VmHWM the peak so far.</summary>
    public double StatusMiB(string field) => ReadStatusKiB(Pid, field) / 1024.0;

    public static long ReadStatusKiB(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(field.Length + 1).Trim().TrimEnd("kB").Trim());
            }
        }
        throw new InvalidOperationException($"no {field} in /proc/{pid}/status");
    }

    public string LogTail()
    {
        try
        {
            var lines = File.ReadAllLines(log);
            return string.Join('\n', lines.TakeLast(20));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            // SIGTERM, not SIGKILL: nginx's workers outlive a killed master.
            _ = Kill(process.Id, 15);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        process.Dispose();
    }

    internal static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

/// <summary>Samples a process's VmRSS every 50 ms and keeps the largest value.</summary>
internal sealed class RssSampler
{
    private readonly int pid;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private long peakKiB;

    public RssSampler(int pid)
    {
        this.pid = pid;
        loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            try
            {
                do
                {
                    Sample();
                }
                while (await timer.WaitForNextTickAsync(stop.Token));
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        });
    }

    public async Task<double> StopAsync()
    {
        await stop.CancelAsync();
        await loop;
        Sample();
        stop.Dispose();
        return peakKiB / 1024.0;
    }

    private void Sample() => peakKiB = Math.Max(peakKiB, ServerProcess.ReadStatusKiB(pid, "VmRSS"));
}
