using NpgsqlTypes;
using Npgsql;

namespace Wharf.Metadata.PostgreSql;

public sealed partial class PostgreSqlMetadataStore
{
    // Expiry is judged by the database's clock, the one clock every replica shares: replicas
    // whose own clocks disagree still agree on who holds a lease.

    public async Task<bool> TryAcquireLeaseAsync(string name, string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        // One statement: the row is taken only when absent, expired or already this holder's;
        // concurrent takers queue on the row lock and see the winner's row.
        await using var command = Command("""
            INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, clock_timestamp() + $3)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE leases.holder = excluded.holder OR leases.expires_at <= clock_timestamp()
            """, Text(name), Text(holder), new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Interval, Value = duration });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task ReleaseLeaseAsync(string name, string holder, CancellationToken cancellationToken)
    {
        await using var command = Command("DELETE FROM leases WHERE name = $1 AND holder = $2", Text(name), Text(holder));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<string> GetOrAddSecretAsync(string name, string valueIfAbsent, CancellationToken cancellationToken)
    {
        // ON CONFLICT DO NOTHING waits for a racing insert to commit; the union then reads the
        // winner's row, which READ COMMITTED lets a new statement see.
        await using (var insert = Command("INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", Text(name), Text(valueIfAbsent)))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var select = Command("SELECT value FROM secrets WHERE name = $1", Text(name));
        return (string)(await select.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<MetadataCounts> CountAsync(CancellationToken cancellationToken)
    {
        await using var command = Command("""
            SELECT (SELECT count(*) FROM repositories), (SELECT count(*) FROM blobs), (SELECT count(*) FROM repository_blobs),
                   (SELECT count(*) FROM manifests), (SELECT count(*) FROM tags), (SELECT COALESCE(sum(size), 0)::bigint FROM blobs)
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new MetadataCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
    }
}
