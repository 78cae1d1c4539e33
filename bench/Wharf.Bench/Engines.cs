using System.Globalization;
using Wharf.Storage.S3;

namespace Wharf.Bench;

/// <summary>Where the S3 engine is and how to sign for it.</summary>
internal sealed record S3Settings(string Endpoint, string AccessKey, string SecretKey)
{
    public const string Region = "us-east-1";

    /// <summary>Wharf's Storage:S3:Prefix and distribution's rootdirectory: the same keys in both buckets.</summary>
    public const string Prefix = "registry";

    /// <summary>What Ceph RGW needs of a client: path-style addressing, no trailing checksums.</summary>
    public S3StorageOptions ClientOptions(string bucket) => new()
    {
        Endpoint = Endpoint,
        Region = Region,
        Bucket = bucket,
        Prefix = Prefix,
        AccessKey = AccessKey,
        SecretKey = SecretKey,
        ForcePathStyle = true,
        ChecksumMode = S3StorageOptions.WhenRequired,
    };

    /// <summary>The same settings on Wharf's command line.</summary>
    public string[] WharfSettings(string bucket, bool redirect) =>
    [
        "--Storage:Provider", "s3",
        "--Storage:S3:Endpoint", Endpoint,
        "--Storage:S3:Region", Region,
        "--Storage:S3:Bucket", bucket,
        "--Storage:S3:Prefix", Prefix,
        "--Storage:S3:AccessKey", AccessKey,
        "--Storage:S3:SecretKey", SecretKey,
        "--Storage:S3:ForcePathStyle", "true",
        "--Storage:S3:ChecksumMode", S3StorageOptions.WhenRequired,
        "--Storage:S3:Redirect", redirect ? "true" : "false",
    ];

    /// <summary>The key of a blob's bytes, in Wharf's bucket or distribution's (the same layout).</summary>
    public static string BlobKey(string digest)
    {
        var hex = digest["sha256:".Length..];
        return $"{Prefix}/docker/registry/v2/blobs/sha256/{hex[..2]}/{hex}/data";
    }
}

/// <summary>
/// The throw-away engines of the object-storage section, each started and stopped by the
/// repository's own script: Ceph RGW (scripts/rgw) and PostgreSQL 15 (scripts/postgres).
/// </summary>
internal sealed class Engine : IAsyncDisposable
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(2);
    private readonly string script;
    private readonly string dir;

    private Engine(string script, string dir)
    {
        this.script = script;
        this.dir = dir;
    }

    public static async Task<(Engine Engine, S3Settings Settings)> StartRgwAsync(Options options, string dir)
    {
        var script = Path.Combine(options.RepositoryRoot, "scripts", "rgw");
        var ports = FreePorts(2);
        // Each push round stores a few blobs of BlobSize (they are deleted after the round, but RGW
        // gives the RAM back only after its garbage collection): room for all of them at once.
        var memstore = Math.Max(8L << 30, options.BlobSize * 24);
        var engine = new Engine(script, dir);
        var output = await engine.RunScriptAsync(["start", dir, Text(ports[0]), Text(ports[1])],
            new Dictionary<string, string> { ["RGW_MEMSTORE_BYTES"] = Text(memstore) });
        // The script prints KEY=value lines (its output here has stderr after them).
        string Value(string key) => output.Split('\n', StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith(key + "=", StringComparison.Ordinal))
            .Select(line => line[(key.Length + 1)..])
            .FirstOrDefault() ?? throw new InvalidOperationException($"scripts/rgw printed no {key}:\n{output}");
        return (engine, new S3Settings(Value("ENDPOINT"), Value("ACCESS_KEY"), Value("SECRET_KEY")));
    }

    /// <summary>PostgreSQL; <paramref name="dir"/> must be one the postgres user can reach (not
    /// under the benchmark's private work directory).</summary>
    public static async Task<(Engine Engine, string ConnectionString)> StartPostgresAsync(Options options, string dir)
    {
        var script = Path.Combine(options.RepositoryRoot, "scripts", "postgres");
        var engine = new Engine(script, dir);
        await engine.RunScriptAsync(["start", dir, Text(FreePorts(1)[0])], []);
        var connection = (await File.ReadAllTextAsync(Path.Combine(dir, "connection-string"))).Trim();
        return (engine, connection);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunScriptAsync(["stop", dir], []);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            Console.WriteLine($"    could not stop the engine in {dir}: {e.Message}");
        }
    }

    private async Task<string> RunScriptAsync(string[] args, Dictionary<string, string> environment)
    {
        var (exit, output) = await Tool.RunAsync("/usr/bin/env", [.. environment.Select(e => $"{e.Key}={e.Value}"), "bash", script, .. args], ScriptTimeout);
        if (exit != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(script)} {string.Join(' ', args)} exited {exit}:\n{output}");
        }
        return output;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static List<int> FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((System.Net.IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}
