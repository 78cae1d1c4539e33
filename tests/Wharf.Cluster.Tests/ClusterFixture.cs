using System.Globalization;
using Wharf.Metadata.PostgreSql.Tests;
using Wharf.Storage.S3.Tests;
using Wharf.Tests.EndToEnd;

namespace Wharf.Cluster.Tests;

/// <summary>
/// The cluster the issue asks for, started once for all cluster tests: PostgreSQL, Ceph RGW, three
/// Wharf processes on that one database and one bucket, and nginx in front (round robin, no
/// affinity). Started as an operator would: the published settings, nothing shared but the engines.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime, IDisposable
{
    public const int ReplicaCount = 3;

    private PostgresServer? _postgres;
    private readonly RgwEngine _rgw = new();
    private readonly List<WharfProcess> _replicas = [];

    public IReadOnlyList<WharfProcess> Replicas => _replicas;

    public NginxBalancer Balancer { get; private set; } = null!;

    public string Bucket { get; private set; } = "";

    public RgwEngine Rgw => _rgw;

    /// <summary>The settings every replica runs with: what a CLI verb on the same cluster needs.</summary>
    public IReadOnlyList<string> Arguments { get; private set; } = [];

    public async Task InitializeAsync()
    {
        _postgres = new PostgresServer();
        var connectionString = await _postgres.CreateSchemaAsync();
        await _rgw.InitializeAsync();
        Bucket = await _rgw.CreateBucketAsync();
        // The shipped example (examples/cluster/wharf.yaml), with this machine's addresses and keys
        // given on the command line as an operator would override them.
        string[] arguments =
        [
            "--config", Path.Combine(NginxBalancer.RepositoryRoot(), "examples", "cluster", "wharf.yaml"),
            "--Metadata:ConnectionString", connectionString,
            "--Storage:S3:Endpoint", _rgw.Endpoint,
            "--Storage:S3:Bucket", Bucket,
            "--Storage:S3:AccessKey", _rgw.AccessKey,
            "--Storage:S3:SecretKey", _rgw.SecretKey,
            // nginx's log says which replica served each request; the replicas also log each request
            // as it starts, so a test can see which one is receiving a push while it runs.
            "--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics", "Information",
        ];
        Arguments = arguments;
        for (var i = 0; i < ReplicaCount; i++)
        {
            _replicas.Add(await WharfProcess.StartAsync(new WharfStartOptions { Arguments = arguments }));
        }
        Balancer = await NginxBalancer.StartAsync(_replicas.Select(r => r.Port));
    }

    /// <summary>Which replica an nginx upstream address names.</summary>
    public int ReplicaIndex(string upstream) =>
        _replicas.FindIndex(r => upstream.EndsWith(":" + r.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

    public async Task DisposeAsync()
    {
        if (Balancer is not null)
        {
            await Balancer.DisposeAsync();
        }
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }
        await _rgw.DisposeAsync();
    }

    public void Dispose() => _postgres?.Dispose();
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "Cluster";
}
