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
    private string _sharedSchema = "";
    private string _shared = "";

    public async Task InitializeAsync()
    {
        var shared = await server.CreateSchemaAsync();
        _shared = shared;
        _sharedSchema = new Npgsql.NpgsqlConnectionStringBuilder(shared).SearchPath!;
        var other = await server.CreateSchemaAsync();
        foreach (var connectionString in new[] { shared, shared, other })
        {
            var store = await PostgreSqlMetadataStore.OpenAsync(connectionString, null, default);
            var changes = await store.CreateReplicaChangesAsync(null, default);
            _replicas.Add((store, changes, Task.Run(() => changes.RunAsync(_stop.Token))));
        }
        foreach (var (_, changes, _) in _replicas)
        {
            await EventuallyAsync(() => changes.IsListening && changes.IsCurrent, "a listener did not start");
        }
        await EventuallyAsync(() => A.LivePeerCount == 1 && B.LivePeerCount == 1, "the replicas did not hear each other's beats");
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

    [Fact]
    public async Task PublishAsync_ReturnsOnlyOnceEveryOtherReplicaAppliedTheChange()
    {
        var applied = 0;
        B.ChangedElsewhere += _ =>
        {
            // A slow cache: the writer must still not answer before it is done.
            Thread.Sleep(300);
            Volatile.Write(ref applied, 1);
        };

        await A.PublishAsync(new RepositoryChange(Team), default);

        Assert.Equal(1, Volatile.Read(ref applied));
    }

    [Fact]
    public async Task PublishAsync_AllAcked_DoesNotWaitForTheDeadline()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();

        for (var i = 0; i < 10; i++)
        {
            await A.PublishAsync(new RepositoryChange(Team), default);
        }

        Assert.True(started.Elapsed < PostgreSqlReplicaChanges.AckDeadline, $"10 changes took {started.Elapsed}");
    }

    [Fact]
    public async Task PublishAsync_ReplicaThatBeatsButNeverAcks_WaitedForUntilTheDeadlineThenForgotten()
    {
        // A replica that sends one beat and then hangs: the writer cannot know whether it still
        // answers from its cache, so it waits until that replica can no longer be current.
        await server.ExecuteAsync($"SELECT pg_notify('{PostgreSqlReplicaChanges.Channel}', 'b|hung|1|{_sharedSchema}')");
        await EventuallyAsync(() => A.LivePeerCount == 2, "replica A did not hear the beat");

        var started = System.Diagnostics.Stopwatch.StartNew();
        await A.PublishAsync(new RepositoryChange(Team), default);
        var waited = started.Elapsed;

        Assert.True(waited >= PostgreSqlReplicaChanges.Freshness, $"answered after {waited}, while the hung replica could still be current");
        await EventuallyAsync(() => A.LivePeerCount == 1, "the hung replica was not forgotten");
        started.Restart();
        await A.PublishAsync(new RepositoryChange(Team), default);
        Assert.True(started.Elapsed < PostgreSqlReplicaChanges.Freshness, $"a change waited {started.Elapsed} for a replica long gone");
    }

    [Fact]
    public async Task RunAsync_Stopped_SaysGoodbyeSoOthersStopWaiting()
    {
        using var stop = new CancellationTokenSource();
        var store = await PostgreSqlMetadataStore.OpenAsync(_shared, null, default);
        await using var _ = store;
        var leaving = await store.CreateReplicaChangesAsync(null, default);
        var listener = Task.Run(() => leaving.RunAsync(stop.Token));
        await EventuallyAsync(() => A.LivePeerCount == 2, "replica A did not hear the new replica");

        await stop.CancelAsync();
        await listener;

        Assert.False(leaving.IsCurrent);
        await EventuallyAsync(() => A.LivePeerCount == 1, "replica A still waits for a replica that said goodbye");
        var started = System.Diagnostics.Stopwatch.StartNew();
        await A.PublishAsync(new RepositoryChange(Team), default);
        Assert.True(started.Elapsed < PostgreSqlReplicaChanges.Freshness, $"a change waited {started.Elapsed} after the replica left");
    }

    [Fact]
    public async Task RunAsync_StoreClosedFirst_EndsWithoutAnError()
    {
        using var stop = new CancellationTokenSource();
        var store = await PostgreSqlMetadataStore.OpenAsync(_shared, null, default);
        var closing = await store.CreateReplicaChangesAsync(null, default);
        var listener = Task.Run(() => closing.RunAsync(stop.Token));
        await EventuallyAsync(() => closing.IsCurrent, "the replica did not become current");

        // As at shutdown: the store (and its connection pool) goes before the listener stops.
        await store.DisposeAsync();
        await stop.CancelAsync();

        await listener.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(closing.IsCurrent);
    }

    [Fact]
    public async Task IsCurrent_ListenerKilled_FalseUntilListeningAgain()
    {
        Assert.True(B.IsCurrent);

        await server.ExecuteAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN {PostgreSqlReplicaChanges.Channel}%' OR query = 'SELECT 1'");

        await EventuallyAsync(() => !B.IsCurrent, "replica B stayed current without its listener");
        await EventuallyAsync(() => B.IsCurrent, "replica B did not become current again");
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
