using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Wharf.Metadata;

public sealed partial class SqliteMetadataStore
{
    // The reads every pull makes (a manifest by tag or by digest, a blob's link) run on connections
    // of the store's own, kept open with their statements prepared: a pooled connection would parse
    // the query again and set its pragmas again on every request, which on a store too large for
    // the in-memory caches is most of what a pull costs. A few are kept idle; more are opened
    // when more reads run at once, and closed when they come back to a full shelf.
    private const int MaxIdleReaders = 8;

    private readonly ConcurrentBag<Reader> _readers = [];
    private string? _readerConnectionString;
    private volatile bool _disposed;

    private T Read<T>(string sql, Func<SqliteCommand, T> read, params (string Name, object? Value)[] parameters)
    {
        var reader = RentReader();
        try
        {
            var command = reader.Prepared(sql, parameters);
            var result = read(command);
            ReturnReader(reader);
            return result;
        }
        catch
        {
            // A statement that failed part-way is not trusted again.
            reader.Dispose();
            throw;
        }
    }

    private Reader RentReader()
    {
        if (_readers.TryTake(out var reader))
        {
            return reader;
        }
        _readerConnectionString ??= new SqliteConnectionStringBuilder(_connectionString)
        {
            // The store's own: not pooled (nothing else shares them), and reads need no foreign keys.
            Pooling = false,
            ForeignKeys = null,
        }.ToString();
        var connection = new SqliteConnection(_readerConnectionString);
        try
        {
            connection.Open();
            Execute(connection, null, $"PRAGMA cache_size = -{Math.Max(64, PageCacheBytes / 1024)}");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return new Reader(connection);
    }

    private void ReturnReader(Reader reader)
    {
        if (_disposed || _readers.Count >= MaxIdleReaders)
        {
            reader.Dispose();
            return;
        }
        _readers.Add(reader);
        if (_disposed && _readers.TryTake(out var late))
        {
            late.Dispose();
        }
    }

    private void DisposeReaders()
    {
        _disposed = true;
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }
    }

    /// <summary>An open connection and the statements prepared on it, used by one read at a time.</summary>
    private sealed class Reader(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);

        public SqliteCommand Prepared(string sql, (string Name, object? Value)[] parameters)
        {
            if (!_statements.TryGetValue(sql, out var command))
            {
                command = connection.CreateCommand();
                command.CommandText = sql;
                foreach (var (name, _) in parameters)
                {
                    command.Parameters.Add(new SqliteParameter { ParameterName = name });
                }
                command.Prepare();
                _statements[sql] = command;
            }
            for (var i = 0; i < parameters.Length; i++)
            {
                command.Parameters[i].Value = parameters[i].Value ?? DBNull.Value;
            }
            return command;
        }

        public void Dispose()
        {
            foreach (var command in _statements.Values)
            {
                command.Dispose();
            }
            connection.Dispose();
        }
    }
}
