using Npgsql;

namespace Wharf.Metadata.PostgreSql;

/// <summary>
/// Brings a database to the latest <see cref="PostgreSqlSchema"/>. Several replicas may start at
/// once against one fresh database: each takes the same transaction-scoped advisory lock first,
/// so one applies the migrations and the others, once it commits, find nothing left to do.
/// </summary>
internal static class PostgreSqlMigrations
{
    // Any fixed number will do, as long as every Wharf uses the same one ("wharf" in ASCII).
    private const long LockKey = 0x7768617266;

    /// <summary>Applies the migrations not yet applied, all in one transaction; returns the version reached.</summary>
    public static async Task<int> ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Up to date: no lock and no DDL, so replicas may run as a role without CREATE rights
        // once `wharf migrate` has run as one that has them.
        var version = await ReadVersionAsync(connection, cancellationToken);
        if (version >= PostgreSqlSchema.Migrations.Length)
        {
            return version;
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken);
        await ExecuteAsync(connection, PostgreSqlSchema.VersionTable, cancellationToken);
        // Read again under the lock: a replica that held it before us may have migrated already
        // (READ COMMITTED: this statement sees what it committed).
        version = await ReadVersionAsync(connection, cancellationToken);
        for (var i = version; i < PostgreSqlSchema.Migrations.Length; i++)
        {
            await ExecuteAsync(connection, PostgreSqlSchema.Migrations[i], cancellationToken);
            await using var record = new NpgsqlCommand("INSERT INTO schema_migrations (version) VALUES ($1)", connection);
            record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = i + 1 });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return Math.Max(version, PostgreSqlSchema.Migrations.Length);
    }

    /// <summary>The version the database is at: 0 when no migration was ever applied.</summary>
    public static async Task<int> ReadVersionAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadVersionAsync(connection, cancellationToken);
    }

    private static async Task<int> ReadVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // Two statements: a query naming a missing table fails when parsed, whatever guards it.
        // to_regclass looks on the search path and answers null rather than failing.
        await using var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", connection);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not true)
        {
            return 0;
        }
        await using var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_migrations", connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
