using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Wharf.Metadata;

public sealed partial class SqliteMetadataStore
{
    // A read on its own is a read transaction of its own: SQLite locks the database file and a
    // read mark of the WAL when it begins (fcntl calls, and an fstat) and unlocks them when it
    // ends. On a store whose pages are all cached that was two thirds of a manifest or blob-link
    // lookup: 4.5 µs a lookup, 1.6 µs with the read transaction kept. So a reader connection keeps
    // its read transaction (its snapshot of the database) for the reads that follow, within limits:
    //
    // - A write committed through any store of this process on the same file ends every snapshot
    //   begun before it (a generation counter, shared by the stores of one file): a pull that
    //   follows a push always sees it.
    // - A snapshot is used for at most ReaderSnapshotAge (1 ms) after it began, so a write by
    //   another process on the same file (a `wharf` command) is seen at most that late.
    // - Once a reader goes back to the queue with a snapshot, a sweep ends the snapshots of the
    //   readers not in use a few milliseconds later: an idle reader does not hold back the WAL's
    //   checkpoints.

    /// <summary>How long a reader connection may keep using one snapshot, unless set.</summary>
    internal static readonly TimeSpan DefaultReaderSnapshotAge = TimeSpan.FromMilliseconds(1);

    /// <summary>How long a reader connection may keep using one read transaction (snapshot) for
    /// the reads that follow; <see cref="TimeSpan.Zero"/>: one read transaction a read.</summary>
    internal TimeSpan ReaderSnapshotAge { get; init; } = DefaultReaderSnapshotAge;

    /// <summary>How long after a reader comes back with a snapshot the idle readers' snapshots end.</summary>
    private static readonly TimeSpan SnapshotSweepDelay = TimeSpan.FromMilliseconds(5);

    /// <summary>Writes committed to each database file through the stores of this process.</summary>
    private static readonly ConcurrentDictionary<string, StrongBox<long>> WriteGenerations = new(StringComparer.Ordinal);

    private StrongBox<long> _writeGeneration = new();
    private int _snapshotsBegun;
    private Timer? _snapshotSweep;
    private int _sweepScheduled;

    /// <summary>Snapshots the reader connections have begun (for tests).</summary>
    internal int SnapshotsBegun => Volatile.Read(ref _snapshotsBegun);

    private long ReaderSnapshotTicks => (long)(ReaderSnapshotAge.TotalSeconds * Stopwatch.Frequency);

    private void ShareWriteGeneration(string databaseFile) =>
        _writeGeneration = WriteGenerations.GetOrAdd(Path.GetFullPath(databaseFile), _ => new StrongBox<long>());

    private long WriteGeneration => Volatile.Read(ref _writeGeneration.Value);

    /// <summary>Called once a write has committed: no snapshot begun before it is used again.</summary>
    private void WritesCommitted() => Interlocked.Increment(ref _writeGeneration.Value);

    private void ScheduleSnapshotSweep()
    {
        if (!_disposed && Interlocked.Exchange(ref _sweepScheduled, 1) == 0)
        {
            var timer = _snapshotSweep ?? InitializeSnapshotSweep();
            try
            {
                timer.Change(SnapshotSweepDelay, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // The store is being disposed: its connections close, and their snapshots with them.
            }
        }
    }

    private Timer InitializeSnapshotSweep()
    {
        var timer = new Timer(_ => SweepSnapshots(), null, Timeout.Infinite, Timeout.Infinite);
        var existing = Interlocked.CompareExchange(ref _snapshotSweep, timer, null);
        if (existing is not null)
        {
            timer.Dispose();
            return existing;
        }
        return timer;
    }

    /// <summary>Ends the snapshots of the readers not in use (those in use are swept after they
    /// come back).</summary>
    private void SweepSnapshots()
    {
        Volatile.Write(ref _sweepScheduled, 0);
        if (_disposed)
        {
            return;
        }
        try
        {
            ForEachIdleReader(reader => reader.EndSnapshot());
        }
        catch (Exception e) when (e is SqliteException or ObjectDisposedException or InvalidOperationException)
        {
            // The reader that failed is closed (its transaction with it), or the store is being
            // disposed; the next read opens another. Nothing else to do on a timer's thread, where
            // an exception left unhandled would end the process.
        }
    }

    private void DisposeSnapshotSweep() => Interlocked.Exchange(ref _snapshotSweep, null)?.Dispose();
}
