using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Amazon.S3;
using Amazon.S3.Model;
using Wharf.Storage.S3;

namespace Wharf.Storage.S3.Tests;

/// <summary>
/// A real S3 engine for the whole test run: Ceph's RADOS Gateway on a throw-away one-node cluster,
/// started once by <c>scripts/rgw</c> (about 2.5 s) and stopped at the end. Tests take a fresh bucket
/// each from <see cref="CreateBucketAsync"/>. When the engine cannot start, every test that uses it
/// fails with the reason (never skips).
/// </summary>
public sealed class RgwEngine : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "wharf-rgw-" + Guid.NewGuid().ToString("N")[..12]);
    private AmazonS3Client? _client;
    private int _buckets;

    public string Endpoint { get; private set; } = "";
    public string AccessKey { get; private set; } = "";
    public string SecretKey { get; private set; } = "";

    public AmazonS3Client Client => _client ?? throw new InvalidOperationException("the engine has not started");

    /// <summary>The settings Wharf needs for this engine (the notes on it: path-style addressing,
    /// no trailing checksums).</summary>
    public S3StorageOptions Options(string bucket, string? prefix = null) => new()
    {
        Endpoint = Endpoint,
        Region = "us-east-1",
        Bucket = bucket,
        Prefix = prefix,
        AccessKey = AccessKey,
        SecretKey = SecretKey,
        ForcePathStyle = true,
        ChecksumMode = S3StorageOptions.WhenRequired,
    };

    public async Task InitializeAsync()
    {
        var script = Path.Combine(RepositoryRoot(), "scripts", "rgw");
        var ports = FreePorts(2);
        var (exitCode, output, error) = await RunAsync("bash", [script, "start", _directory, ports[0].ToString(CultureInfo.InvariantCulture), ports[1].ToString(CultureInfo.InvariantCulture)]);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"scripts/rgw could not start the S3 engine (exit {exitCode}); install Ceph with "
                + $"`apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common` and run as root.\n{error}\n{output}");
        }
        var settings = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1].Trim());
        Endpoint = settings["ENDPOINT"];
        AccessKey = settings["ACCESS_KEY"];
        SecretKey = settings["SECRET_KEY"];
        _client = S3ClientFactory.Create(Options("unused"));
    }

    /// <summary>A new, empty bucket.</summary>
    public async Task<string> CreateBucketAsync()
    {
        var name = $"test-{Interlocked.Increment(ref _buckets)}-{Guid.NewGuid().ToString("N")[..8]}";
        await Client.PutBucketAsync(new PutBucketRequest { BucketName = name });
        return name;
    }

    /// <summary>Removes a bucket and everything in it (the engine keeps objects in RAM).</summary>
    public async Task DeleteBucketAsync(string bucket)
    {
        var uploads = await Client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket });
        foreach (var upload in uploads.MultipartUploads ?? [])
        {
            await Client.AbortMultipartUploadAsync(bucket, upload.Key, upload.UploadId);
        }
        foreach (var batch in (await ListKeysAsync(bucket)).Chunk(1000))
        {
            await Client.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = [.. batch.Select(k => new KeyVersion { Key = k })] });
        }
        await Client.DeleteBucketAsync(bucket);
    }

    /// <summary>Every key in the bucket, in order.</summary>
    public async Task<List<string>> ListKeysAsync(string bucket)
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = bucket };
        do
        {
            var page = await Client.ListObjectsV2Async(request);
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);
        return keys;
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        await RunAsync("bash", [Path.Combine(RepositoryRoot(), "scripts", "rgw"), "stop", _directory]);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string command, string[] arguments)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{command} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} {string.Join(' ', arguments)} did not finish within {StartTimeout}");
        }
        return (process.ExitCode, await output, await error);
    }

    private static List<int> FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Wharf.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("the repository root (with Wharf.slnx) is not above the test assembly");
    }
}

/// <summary>Every test class that needs S3 joins this collection, so the engine starts once.</summary>
[CollectionDefinition(Name)]
public sealed class RgwCollection : ICollectionFixture<RgwEngine>
{
    public const string Name = "rgw";
}
