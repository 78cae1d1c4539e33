using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Wharf.Cluster.Tests;

/// <summary>nginx in front of the replicas (<c>scripts/nginx</c>): round robin, no affinity. Its
/// access log names the replica that served each request.</summary>
public sealed class NginxBalancer : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "wharf-nginx-" + Guid.NewGuid().ToString("N")[..12]);

    private NginxBalancer(int port) => Port = port;

    public int Port { get; }

    public string HostPort => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>One line per request: method, URI, status, replica (<c>127.0.0.1:port</c>).</summary>
    public IReadOnlyList<(string Method, string Uri, int Status, string Replica)> ReadAccessLog()
    {
        var path = Path.Combine(_directory, "access.log");
        if (!File.Exists(path))
        {
            return [];
        }
        return File.ReadAllLines(path)
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length >= 4)
            .Select(fields => (fields[0], fields[1], int.Parse(fields[2], CultureInfo.InvariantCulture), fields[3]))
            .ToList();
    }

    public static async Task<NginxBalancer> StartAsync(IEnumerable<int> replicaPorts)
    {
        var balancer = new NginxBalancer(FreePort());
        var (exitCode, output) = await RunScriptAsync(["start", balancer._directory, balancer.Port.ToString(CultureInfo.InvariantCulture),
            .. replicaPorts.Select(p => p.ToString(CultureInfo.InvariantCulture))]);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"scripts/nginx could not start nginx (install Debian's nginx): {output}");
        }
        return balancer;
    }

    public async ValueTask DisposeAsync() => await RunScriptAsync(["stop", _directory]);

    private static async Task<(int ExitCode, string Output)> RunScriptAsync(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "scripts", "nginx"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Wharf.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("the repository root (with Wharf.slnx) is not above the test binaries");
    }
}
