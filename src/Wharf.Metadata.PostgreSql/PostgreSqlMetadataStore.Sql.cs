using Npgsql;
using NpgsqlTypes;
using Wharf.Distribution;

namespace Wharf.Metadata.PostgreSql;

/// <summary>How the store talks to PostgreSQL: commands with positional parameters (sent as they
/// are, and prepared automatically once reused), write transactions with retries, and the small
/// statements several writes share.</summary>
public sealed partial class PostgreSqlMetadataStore
{
    // A deadlock or serialization failure aborts the whole transaction; re-running it is safe
    // because every write here is idempotent or a plain delete. Eight tries at growing, jittered
    // delays outlast any realistic pile-up of pushes to one repository.
    private const int MaxWriteAttempts = 8;

    private async Task<T> WriteAsync<T>(Func<NpgsqlConnection, DateTimeOffset, Task<T>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            // Cancellation is honoured until the connection is open. A write, once begun, is
            // finished even if the client goes away: the bytes it records are already durable,
            // and a half-done request must not leave them unrecorded.
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            try
            {
                await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
                var result = await work(connection, _time.GetUtcNow());
                await transaction.CommitAsync(CancellationToken.None);
                return result;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
                && attempt < MaxWriteAttempts)
            {
                var backoff = TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10) * (1 << Math.Min(attempt, 6)));
                await Task.Delay(backoff, CancellationToken.None);
            }
        }
    }

    private static async Task<long> EnsureRepositoryAsync(NpgsqlConnection connection, RepositoryName repository, DateTimeOffset now)
    {
        // Repositories are never deleted, so once found (or inserted) the id stays valid. Looking
        // first keeps the common case (the repository exists) free of writes.
        while (true)
        {
            await using (var select = Command(connection, "SELECT id FROM repositories WHERE name = $1", Text(repository.Value)))
            {
                if (await select.ExecuteScalarAsync() is long existing)
                {
                    return existing;
                }
            }
            await using (var insert = Command(connection,
                "INSERT INTO repositories (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id",
                Text(repository.Value), Value(now)))
            {
                if (await insert.ExecuteScalarAsync() is long inserted)
                {
                    return inserted;
                }
            }
            // A concurrent transaction inserted it and has committed (ON CONFLICT waited for it);
            // in READ COMMITTED the next SELECT sees its row.
        }
    }

    private static Task<int> EnsureBlobAsync(NpgsqlConnection connection, Digest digest, long size, DateTimeOffset now) =>
        ExecuteAsync(connection, "INSERT INTO blobs (digest, size, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            Text(digest.ToString()), Value(size), Value(now));

    // One statement for the whole set, in the order given (without repeats), as the SQLite store answers.
    private async Task<IReadOnlyList<Digest>> FindMissingAsync(string existsQuery, RepositoryName repository, IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken)
    {
        var distinct = digests.Distinct().ToArray();
        if (distinct.Length == 0)
        {
            return [];
        }
        await using var command = Command($"""
            SELECT d.n FROM unnest($2::text[]) WITH ORDINALITY AS d(digest, n)
            WHERE NOT EXISTS ({existsQuery})
            ORDER BY d.n
            """, Text(repository.Value), Value(distinct.Select(d => d.ToString()).ToArray()));
        var missing = new List<Digest>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            missing.Add(distinct[reader.GetInt64(0) - 1]);
        }
        return missing;
    }

    // One row more than asked for tells whether another page follows; NULL is LIMIT ALL.
    private static NpgsqlParameter QueryLimit(int? limit) =>
        new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = limit is { } n ? (long)n + 1 : DBNull.Value };

    private static Page<string> ToPage(List<string> items, int? limit)
    {
        var hasMore = limit is { } n && items.Count > n;
        if (hasMore)
        {
            items.RemoveAt(items.Count - 1);
        }
        return new Page<string>(items, hasMore);
    }

    /// <summary>A command on a connection of its own from the pool, for a single-statement read.</summary>
    private NpgsqlCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = _dataSource.CreateCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    /// <summary>A command in the transaction open on <paramref name="connection"/>.</summary>
    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, params NpgsqlParameter[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        return await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, params NpgsqlParameter[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        return await command.ExecuteScalarAsync();
    }

    private static NpgsqlParameter Text(string? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.Text, Value = value is null ? DBNull.Value : value };

    private static NpgsqlParameter Bytes(byte[]? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.Bytea, Value = value is null ? DBNull.Value : value };

    // timestamptz takes only UTC offsets; every caller passes TimeProvider's UTC or converts first.
    private static NpgsqlParameter<T> Value<T>(T value) => new() { TypedValue = value };
}
