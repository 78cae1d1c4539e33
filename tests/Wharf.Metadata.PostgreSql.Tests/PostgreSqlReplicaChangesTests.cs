using Wharf.Distribution;
using Wharf.Registry;

namespace Wharf.Metadata.PostgreSql.Tests;

/// <summary>LISTEN/NOTIFY between replicas: each test opens two stores on one fresh schema (two
/// replicas), each with its own listener, and one more on another schema (another registry).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlReplicaChangesTests(PostgresServer server) : IAsyncLifetime, IDisposable
{
    private static readonly RepositoryName Team = RepositoryName.Parse("team/app");
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(PostgreSqlMetadataStore Store, PostgreSqlReplicaChanges Changes, Task Listener)> _replicas = [];

    public async Task InitializeAsync()
    {
        var shared = await server.CreateSchemaAsync();
        var other = await server.CreateSchemaAsync();
        foreach (var connectionString in new[] { shared, shared, other })
        {
            var store = await PostgreSqlMetadataStore.OpenAsync(connectionString, null, default);
            var changes = await store.CreateReplicaChangesAsync(null, default);
            _replicas.Add((store, changes, Task.Run(() => changes.RunAsync(_stop.Token))));
        }
        foreach (var (_, changes, _) in _replicas)
        {
            await EventuallyAsync(() => changes.IsListening, "a listener did not start");
        }
    }

    private PostgreSqlReplicaChanges A => _replicas[0].Changes;
    private PostgreSqlReplicaChanges B => _replicas[1].Changes;
    private PostgreSqlReplicaChanges OtherRegistry => _replicas[2].Changes;

    [Fact]
    public async Task PublishAsync_ManifestChange_OtherReplicaHearsIt()
    {
        var heard = Record(B);

        await A.PublishAsync(new RepositoryChange(Team), default);

        await EventuallyAsync(() => heard.Count == 1, "replica B did not hear the change");
        Assert.Equal(new RepositoryChange(Team), Assert.Single(heard));
    }

    [Fact]
    public async Task PublishAsync_UnlinkedBlob_CarriesTheDigest()
    {
        var heard = Record(B);
        var digest = Digest.Parse("sha256:" + new string('a', 64));

        await A.PublishAsync(new RepositoryChange(Team, digest), default);

        await EventuallyAsync(() => heard.Count == 1, "replica B did not hear the change");
        Assert.Equal(new RepositoryChange(Team, digest), Assert.Single(heard));
    }

    [Fact]
    public async Task PublishAsync_OwnChange_IsNotHeardAsAnotherReplicas()
    {
        var ownHeard = Record(A);
        var otherHeard = Record(B);

        await A.PublishAsync(new RepositoryChange(Team), default);
        await EventuallyAsync(() => otherHeard.Count == 1, "replica B did not hear the change");

        Assert.Empty(ownHeard);
    }

    [Fact]
    public async Task PublishAsync_AnotherSchema_IsNotHeard()
    {
        var otherRegistryHeard = Record(OtherRegistry);
        var heard = Record(B);

        await A.PublishAsync(new RepositoryChange(Team), default);
        await EventuallyAsync(() => heard.Count == 1, "replica B did not hear the change");
        await OtherRegistry.PublishAsync(new RepositoryChange(Team), default);   // round trip on its own listener
        await Task.Delay(100);

        Assert.Empty(otherRegistryHeard);
        Assert.Single(heard);
    }

    [Fact]
    public async Task PublishAsync_ReturnsOnlyOnceItsOwnNotificationCameBack()
    {
        var heard = Record(B);

        // The publisher waits for its own copy; PostgreSQL sends every listener its copy at once.
        for (var i = 0; i < 20; i++)
        {
            await A.PublishAsync(new RepositoryChange(Team), default);
        }

        await EventuallyAsync(() => heard.Count == 20, $"replica B heard {heard.Count} of 20");
    }

    [Fact]
    public async Task RunAsync_ListeningConnectionKilled_DropsCachesAndListensAgain()
    {
        var missed = 0;
        B.ChangesMayBeMissed += () => Interlocked.Increment(ref missed);
        var heard = Record(B);

        await server.ExecuteAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN {PostgreSqlReplicaChanges.Channel}%' OR query = 'SELECT 1'");

        await EventuallyAsync(() => Volatile.Read(ref missed) >= 1 && B.IsListening, "replica B did not report missed changes and listen again");
        await EventuallyAsync(() => A.IsListening, "replica A did not listen again");
        await A.PublishAsync(new RepositoryChange(Team), default);
        await EventuallyAsync(() => heard.Count == 1, "replica B did not hear a change after reconnecting");
    }

    private static List<RepositoryChange> Record(PostgreSqlReplicaChanges changes)
    {
        var heard = new List<RepositoryChange>();
        changes.ChangedElsewhere += change =>
        {
            lock (heard)
            {
                heard.Add(change);
            }
        };
        return heard;
    }

    private static async Task EventuallyAsync(Func<bool> condition, string message)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }
        Assert.True(condition(), message);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var (store, changes, listener) in _replicas)
        {
            await listener;
            await changes.DisposeAsync();
            await store.DisposeAsync();
        }
    }

    public void Dispose() => _stop.Dispose();
}
