using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Wharf.Metadata;

public sealed partial class SqliteMetadataStore
{
    // The reads every pull makes (a manifest by tag or by digest, a blob's link) run on connections
    // of the store's own, kept open with their statements prepared: a pooled connection would parse
    // the query again and set its pragmas again on every request, which on a store too large for
    // the in-memory caches is most of what a pull costs.
    //
    // There are few of them, each with a large page cache. Every connection caches the same pages:
    // the B-trees' interior pages and the repository names, which every lookup descends through.
    // Held resident, a lookup on a store of a million manifests reads about two pages from the
    // file (the leaves of the tag and of the manifest) instead of four; spread over many small
    // caches, each would hold its own copy of part of them. The queries run on the calling thread
    // and wait for nothing but the operating system's cache, so more connections than cores would
    // only divide the budget (on the million-manifest store, four readers on two cores read 30 %
    // more pages than two). A read that finds them all busy spins briefly, then yields, and only
    // then waits (asynchronously) for one: a lookup holds its connection for a few microseconds, so
    // the wait is nearly always that short, and an asynchronous wait made it a hand-over to another
    // thread. Under 64 connections on two cores, a quarter to half of the reads found both busy
    // (mostly because the thread holding one had been preempted); spinning and yielding, under
    // 1 % still wait, and a HEAD by tag costs about 7 % less CPU.

    /// <summary>How many reader connections a store keeps, unless set: as many as cores, at least
    /// two (a read that blocks on the disk leaves the other running) and at most four.</summary>
    public static int DefaultReaderConnections => Math.Clamp(Environment.ProcessorCount, 2, 4);

    /// <summary>What the page caches of the store's reader connections may hold in all, unless set.</summary>
    public const long DefaultReaderCacheBytes = 32 * 1024 * 1024;

    /// <summary>The store's own reader connections (see above); at least one.</summary>
    public int ReaderConnections { get; init; } = DefaultReaderConnections;

    /// <summary>What the page caches of the reader connections may hold in all, split evenly
    /// between them; each caches at least 64 KiB.</summary>
    public long ReaderCacheBytes { get; init; } = DefaultReaderCacheBytes;

    /// <summary>How often a read that finds every reader connection busy tries again (the first
    /// few times after a busy spin, then after yielding the processor) before it waits
    /// asynchronously.</summary>
    private const int BusySpins = 40;

    private readonly ConcurrentQueue<Reader> _readers = [];
    private SemaphoreSlim? _readerSlots;
    private string? _readerConnectionString;
    private volatile bool _disposed;

    private SemaphoreSlim ReaderSlots =>
        Volatile.Read(ref _readerSlots) ?? InitializeReaderSlots();

    private SemaphoreSlim InitializeReaderSlots()
    {
        var slots = new SemaphoreSlim(Math.Max(1, ReaderConnections));
        return Interlocked.CompareExchange(ref _readerSlots, slots, null) ?? slots;
    }

    /// <summary>Runs <paramref name="read"/> on a reader connection: on the calling thread when one
    /// is free or soon is (nearly always), otherwise once one is.</summary>
    private Task<T> ReadAsync<T>(string sql, Func<SqliteCommand, T> read, (string Name, object? Value)[] parameters, CancellationToken cancellationToken)
    {
        var slots = ReaderSlots;
        var spinner = new SpinWait();
        for (var attempt = 0; attempt <= BusySpins; attempt++)
        {
            if (slots.Wait(0, CancellationToken.None))
            {
                return Task.FromResult(ReadHoldingSlot(slots, sql, read, parameters));
            }
            // A few busy spins, then yields of the processor (never a sleep): a holder that was
            // preempted gets to run and finish.
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        return ReadWhenFreeAsync(slots, sql, read, parameters, cancellationToken);
    }

    private async Task<T> ReadWhenFreeAsync<T>(SemaphoreSlim slots, string sql, Func<SqliteCommand, T> read, (string Name, object? Value)[] parameters, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken);
        return ReadHoldingSlot(slots, sql, read, parameters);
    }

    private T ReadHoldingSlot<T>(SemaphoreSlim slots, string sql, Func<SqliteCommand, T> read, (string Name, object? Value)[] parameters)
    {
        try
        {
            var reader = RentReader();
            try
            {
                if (reader.UseSnapshot(WriteGeneration, ReaderSnapshotTicks))
                {
                    Interlocked.Increment(ref _snapshotsBegun);
                }
                var command = reader.Prepared(sql, parameters);
                var result = read(command);
                ReturnReader(reader);
                return result;
            }
            catch
            {
                // A statement that failed part-way is not trusted again; the slot opens a new one.
                reader.Dispose();
                throw;
            }
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>Reader connections opened so far (for tests: at most <see cref="ReaderConnections"/>
    /// while none fails).</summary>
    internal int ReadersOpened => Volatile.Read(ref _readersOpened);

    private int _readersOpened;

    private Reader RentReader()
    {
        if (_readers.TryDequeue(out var reader))
        {
            return reader;
        }
        Interlocked.Increment(ref _readersOpened);
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
            Execute(connection, null, $"PRAGMA cache_size = -{ReaderCacheKiB}");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return new Reader(connection);
    }

    /// <summary>Each reader connection's page cache, in KiB (SQLite's unit for a negative cache_size).</summary>
    internal long ReaderCacheKiB => Math.Max(64, ReaderCacheBytes / Math.Max(1, ReaderConnections) / 1024);

    private void ReturnReader(Reader reader)
    {
        if (_disposed)
        {
            reader.Dispose();
            return;
        }
        // A slot is held, so at most ReaderConnections readers exist: none is ever closed for
        // want of room.
        var holdsSnapshot = reader.HoldsSnapshot;
        _readers.Enqueue(reader);
        if (_disposed && _readers.TryDequeue(out var late))
        {
            late.Dispose();
        }
        else if (holdsSnapshot)
        {
            ScheduleSnapshotSweep();
        }
    }

    /// <summary>Empties the page caches of the reader connections not in use, and returns the
    /// memory to the operating system: called once traffic has stopped, so that a burst of pulls
    /// does not leave the caches resident for hours. The next burst reads the interior pages again
    /// (a few thousand page reads from the operating system's cache).</summary>
    public void ReleaseMemory()
    {
        ForEachIdleReader(reader =>
        {
            reader.EndSnapshot();
            reader.ShrinkMemory();
        });
        NativeHeap.Trim();
    }

    /// <summary>Runs <paramref name="action"/> on each reader connection not in use, holding its slot
    /// (so no read takes it meanwhile); a reader that fails is closed.</summary>
    private void ForEachIdleReader(Action<Reader> action)
    {
        var slots = ReaderSlots;
        for (var i = 0; i < ReaderConnections && slots.Wait(0, CancellationToken.None); i++)
        {
            try
            {
                if (!_readers.TryDequeue(out var reader))
                {
                    break;
                }
                try
                {
                    action(reader);
                }
                catch
                {
                    reader.Dispose();
                    throw;
                }
                ReturnReader(reader);
            }
            finally
            {
                slots.Release();
            }
        }
    }

    private void DisposeReaders()
    {
        _disposed = true;
        DisposeSnapshotSweep();
        while (_readers.TryDequeue(out var reader))
        {
            reader.Dispose();
        }
    }

    /// <summary>An open connection and the statements prepared on it, used by one read at a time.</summary>
    private sealed class Reader(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);
        private SqliteCommand? _begin;
        private SqliteCommand? _end;
        private long _snapshotBegunAt;
        private long _snapshotGeneration;

        /// <summary>Whether the connection is in a read transaction kept for the reads that follow.</summary>
        public bool HoldsSnapshot { get; private set; }

        /// <summary>Keeps the snapshot the connection holds if it is younger than
        /// <paramref name="maxAgeTicks"/> and no write has committed since it began (see
        /// SqliteMetadataStore.Snapshots.cs); otherwise begins another, which the next statement
        /// takes. <paramref name="maxAgeTicks"/> 0: none is kept. Returns whether one began.</summary>
        public bool UseSnapshot(long writeGeneration, long maxAgeTicks)
        {
            var now = Stopwatch.GetTimestamp();
            if (HoldsSnapshot && (writeGeneration != _snapshotGeneration || now - _snapshotBegunAt > maxAgeTicks))
            {
                EndSnapshot();
            }
            if (!HoldsSnapshot && maxAgeTicks > 0)
            {
                // Deferred: the read transaction, and the snapshot, begin with the next statement.
                (_begin ??= Command("BEGIN")).ExecuteNonQuery();
                HoldsSnapshot = true;
                _snapshotBegunAt = now;
                _snapshotGeneration = writeGeneration;
                return true;
            }
            return false;
        }

        public void EndSnapshot()
        {
            if (HoldsSnapshot)
            {
                HoldsSnapshot = false;
                (_end ??= Command("COMMIT")).ExecuteNonQuery();
            }
        }

        private SqliteCommand Command(string sql)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Prepare();
            return command;
        }

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

        /// <summary>Frees every page the connection caches (none is in use between reads).</summary>
        public void ShrinkMemory()
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA shrink_memory";
            command.ExecuteNonQuery();
        }

        public void Dispose()
        {
            foreach (var command in _statements.Values)
            {
                command.Dispose();
            }
            _begin?.Dispose();
            _end?.Dispose();
            connection.Dispose();
        }
    }
}
