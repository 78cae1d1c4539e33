using Microsoft.Extensions.Logging;
using Npgsql;
using Wharf.Distribution;
using Wharf.Storage;

namespace Wharf.Metadata.PostgreSql;

/// <summary>
/// The metadata store for several replicas: one PostgreSQL database they all share. Method by
/// method it does what <see cref="SqliteMetadataStore"/> does. Writes run in READ COMMITTED
/// transactions made safe under concurrency by <c>INSERT ... ON CONFLICT</c>, row locks and, where
/// garbage collection re-checks what a write relies on, advisory locks on digests (see
/// PostgreSqlMetadataStore.Gc.cs) rather than by an in-process lock (the other writers are in other
/// processes); a deadlock or serialization failure re-runs the whole transaction, which every write
/// here allows.
/// </summary>
public sealed partial class PostgreSqlMetadataStore : IMetadataStore, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;

    /// <summary>Opens a pool of connections to the database; touches nothing until first used
    /// (<see cref="MigrateAsync"/> brings the schema up to date).</summary>
    public PostgreSqlMetadataStore(string connectionString, TimeProvider? time = null)
    {
        _dataSource = PostgreSqlDataSource.Create(connectionString);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>A store on an up-to-date schema: what a server opens at start.</summary>
    public static async Task<PostgreSqlMetadataStore> OpenAsync(string connectionString, TimeProvider? time, CancellationToken cancellationToken)
    {
        var store = new PostgreSqlMetadataStore(connectionString, time);
        try
        {
            await store.MigrateAsync(cancellationToken);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>The channel through which the replicas on this database (and schema) tell each other
    /// about changes; run its <see cref="PostgreSqlReplicaChanges.RunAsync"/> to hear them.</summary>
    public async Task<PostgreSqlReplicaChanges> CreateReplicaChangesAsync(ILogger? logger, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT current_schema()");
        var schema = await command.ExecuteScalarAsync(cancellationToken) as string ?? "";
        return new PostgreSqlReplicaChanges(_dataSource, schema, logger);
    }

    /// <summary>Applies the migrations the database lacks; returns the schema version it is then at.</summary>
    public Task<int> MigrateAsync(CancellationToken cancellationToken) =>
        PostgreSqlMigrations.ApplyAsync(_dataSource, cancellationToken);

    /// <summary>The schema version the database is at (number of migrations applied).</summary>
    public Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken) =>
        PostgreSqlMigrations.ReadVersionAsync(_dataSource, cancellationToken);

    // --- Blobs and repository links ---

    public async Task<long?> GetLinkedBlobSizeAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken)
    {
        await using var command = Command("""
            SELECT b.size FROM repository_blobs rb
            JOIN repositories r ON r.id = rb.repository_id
            JOIN blobs b ON b.digest = rb.digest
            WHERE r.name = $1 AND rb.digest = $2
            """, Text(repository.Value), Text(digest.ToString()));
        return await command.ExecuteScalarAsync(cancellationToken) is long size ? size : null;
    }

    public async Task<long?> GetBlobSizeAsync(Digest digest, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT size FROM blobs WHERE digest = $1", Text(digest.ToString()));
        return await command.ExecuteScalarAsync(cancellationToken) is long size ? size : null;
    }

    public Task LinkBlobAsync(RepositoryName repository, Digest digest, long size, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, now) =>
        {
            // Shared on the digest: a review deleting the blob's row either committed before (the row
            // is inserted again) or waits, then sees the link (see PostgreSqlMetadataStore.Gc).
            await LockSharedAsync(connection, [digest]);
            var repositoryId = await EnsureRepositoryAsync(connection, repository, now);
            await EnsureBlobAsync(connection, digest, size, now);
            await ExecuteAsync(connection, """
                INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES ($1, $2, $3)
                ON CONFLICT DO NOTHING
                """, Value(repositoryId), Text(digest.ToString()), Value(now));
            return true;
        }, cancellationToken);

    public Task<bool> UnlinkBlobAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, now) =>
        {
            if (await ExecuteAsync(connection, """
                DELETE FROM repository_blobs
                WHERE digest = $2 AND repository_id = (SELECT id FROM repositories WHERE name = $1)
                """, Text(repository.Value), Text(digest.ToString())) == 0)
            {
                return false;
            }
            // Nothing else may hold the blob now.
            await QueueBlobReviewAsync(connection, digest, now + ReviewDelay);
            return true;
        }, cancellationToken);

    public Task<IReadOnlyList<Digest>> FindUnlinkedBlobsAsync(RepositoryName repository, IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken) =>
        FindMissingAsync("""
            SELECT 1 FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
            WHERE r.name = $1 AND rb.digest = d.digest
            """, repository, digests, cancellationToken);

    // --- Upload sessions ---

    public Task CreateUploadAsync(UploadSession session, CancellationToken cancellationToken) =>
        WriteAsync((connection, _) => ExecuteAsync(connection,
            "INSERT INTO uploads (id, repository, started_at) VALUES ($1, $2, $3)",
            Text(session.Id.Value), Text(session.Repository.Value), Value(session.StartedAt.ToUniversalTime())), cancellationToken);

    public async Task<UploadSession?> GetUploadAsync(UploadId id, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT repository, started_at FROM uploads WHERE id = $1", Text(id.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new UploadSession(id, RepositoryName.Parse(reader.GetString(0)), reader.GetFieldValue<DateTimeOffset>(1));
    }

    public Task DeleteUploadAsync(UploadId id, CancellationToken cancellationToken) =>
        WriteAsync((connection, _) => ExecuteAsync(connection, "DELETE FROM uploads WHERE id = $1", Text(id.Value)), cancellationToken);

    public async Task<IReadOnlyList<UploadSession>> ListUploadsStartedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        await using var command = Command(
            "SELECT id, repository, started_at FROM uploads WHERE started_at < $1 ORDER BY started_at LIMIT $2",
            Value(cutoff.ToUniversalTime()), Value((long)limit));
        var sessions = new List<UploadSession>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            // A row written by something other than Wharf is left for it, not a reason to fail the purge.
            if (UploadId.TryParse(reader.GetString(0), out var id) && RepositoryName.TryParse(reader.GetString(1), out var repository))
            {
                sessions.Add(new UploadSession(id, repository, reader.GetFieldValue<DateTimeOffset>(2)));
            }
        }
        return sessions;
    }

    public void Dispose() => _dataSource.Dispose();

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
