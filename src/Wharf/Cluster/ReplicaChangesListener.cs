using Wharf.Metadata.PostgreSql;
using Wharf.Registry;

namespace Wharf.Cluster;

/// <summary>Hears the changes other replicas publish, for as long as the server runs. On SQLite
/// (one process) there is nothing to hear and this returns at once.</summary>
internal sealed class ReplicaChangesListener(IReplicaChanges changes) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        changes is PostgreSqlReplicaChanges postgres ? postgres.RunAsync(stoppingToken) : Task.CompletedTask;
}
