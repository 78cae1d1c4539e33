using System.Collections.Concurrent;
using Wharf.Distribution;
using Wharf.Metadata;

namespace Wharf.Proxy;

/// <summary>
/// Which cached manifests were pulled, and when: what <see cref="ProxyExpiry"/> goes by. A pull
/// only writes to memory (the latest time per manifest); the times are written to the metadata
/// store in batches every <see cref="ProxyExpiryTiming.FlushInterval"/> and at shutdown, so every
/// replica's pulls count wherever expiry runs. A manifest pulled a thousand times between two
/// flushes is one row updated once. Nothing is written while the registry is read-only; the
/// times wait here (one entry per manifest, however often it is pulled).
/// </summary>
internal sealed partial class ManifestPulls(IMetadataStore metadata, ProxyExpiryTiming timing, Operations.IReadOnlyMode readOnly, TimeProvider time, ILogger<ManifestPulls> logger) : BackgroundService
{
    private const int BatchSize = 500;

    private readonly ConcurrentDictionary<(RepositoryName Repository, Digest Digest), DateTimeOffset> _pending = new();

    // One flush at a time, and none while an expiry pass runs: pulls made during the pass stay
    // here, where the pass sees them (IsPending) and spares what was just pulled.
    private readonly SemaphoreSlim _flushing = new(1, 1);

    public void Record(RepositoryName repository, Digest digest) => _pending[(repository, digest)] = time.GetUtcNow();

    /// <summary>Whether a pull of the manifest is still waiting to be written.</summary>
    public bool IsPending(ManifestKey manifest) => _pending.ContainsKey((manifest.Repository, manifest.Digest));

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            await WritePendingAsync(cancellationToken);
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>Writes what is pending, then holds every other flush until the result is disposed.</summary>
    public async Task<IDisposable> FlushAndHoldAsync(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            await WritePendingAsync(cancellationToken);
            return new Hold(_flushing);
        }
        catch
        {
            _flushing.Release();
            throw;
        }
    }

    private async Task WritePendingAsync(CancellationToken cancellationToken)
    {
        if (_pending.IsEmpty)
        {
            return;
        }
        var pulls = new List<ManifestPull>(_pending.Count);
        foreach (var (key, at) in _pending)
        {
            // Taken only as read: a manifest pulled again meanwhile keeps its newer time for the next flush.
            if (_pending.TryRemove(new KeyValuePair<(RepositoryName, Digest), DateTimeOffset>(key, at)))
            {
                pulls.Add(new ManifestPull(key.Repository, key.Digest, at));
            }
        }
        for (var written = 0; written < pulls.Count; written += BatchSize)
        {
            try
            {
                await metadata.RecordManifestPullsAsync(pulls.GetRange(written, Math.Min(BatchSize, pulls.Count - written)), cancellationToken);
            }
            catch
            {
                // Kept for the next flush (the later time wins against a pull made since).
                foreach (var pull in pulls.Skip(written))
                {
                    _pending.AddOrUpdate((pull.Repository, pull.Digest), pull.At, (_, newer) => newer > pull.At ? newer : pull.At);
                }
                throw;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(timing.FlushInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (readOnly.IsReadOnly)
            {
                continue;
            }
            try
            {
                await FlushAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.FlushFailed(logger, e);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (readOnly.IsReadOnly)
        {
            return;
        }
        try
        {
            // The last pulls of this process count too.
            await FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.FlushFailed(logger, e);
        }
    }

    public override void Dispose()
    {
        _flushing.Dispose();
        base.Dispose();
    }

    private sealed class Hold(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6102, Level = LogLevel.Warning, Message = "Recording pulls of cached manifests failed; will retry")]
        public static partial void FlushFailed(ILogger logger, Exception exception);
    }
}
