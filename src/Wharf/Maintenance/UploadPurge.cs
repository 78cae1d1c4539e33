using Microsoft.Extensions.Options;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Registry;
using Wharf.Storage;

namespace Wharf.Maintenance;

/// <summary>Discards upload sessions older than <see cref="LimitOptions.UploadSessionMaxAge"/>, so an
/// abandoned push cannot hold space for ever. Runs at start and then periodically; with several
/// replicas on one metadata store, only the one holding the purge lease does it.</summary>
internal sealed partial class UploadPurge(Operations.IReadOnlyMode readOnly, UploadService uploads, Gc.GarbageCollector collector, IMetadataStore metadata, IBlobStorage storage, IOptions<LimitOptions> limits, TimeProvider time, ILogger<UploadPurge> logger) : BackgroundService
{
    public const string LeaseName = "upload-purge";

    /// <summary>Who this process is when it holds a lease: unique per process, readable in the database.</summary>
    internal static string Holder { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var maxAge = limits.Value.UploadSessionMaxAge;
        // Often enough that a session never outlives its age by much; never more than every minute.
        var interval = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(1).Ticks, maxAge.Ticks / 10));
        // Renewed every tick; if the holder dies, another replica takes over within three ticks.
        var lease = interval * 3;
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                // Per process: running hashes of uploads this replica no longer serves.
                uploads.DropIdleHashStates(time.GetUtcNow() - UploadService.HashStateIdleLimit);
                // Read-only mode: nothing is deleted until writes are allowed again.
                if (!readOnly.IsReadOnly && await metadata.TryAcquireLeaseAsync(LeaseName, Holder, lease, stoppingToken))
                {
                    var cutoff = time.GetUtcNow() - maxAge;
                    var purged = await uploads.PurgeStartedBeforeAsync(cutoff, stoppingToken);
                    // Counted with garbage collection's work: abandoned uploads are space given back too.
                    collector.Statistics.AddUploadsPurged(purged);
                    if (purged > 0)
                    {
                        Log.Purged(logger, purged, maxAge);
                    }
                    // Partial writes of a process killed mid-write (S3 multipart uploads), which no
                    // session row points at.
                    if (storage is IAbandonedWrites abandoned && await abandoned.DiscardBegunBeforeAsync(cutoff, stoppingToken) is > 0 and var discarded)
                    {
                        Log.DiscardedWrites(logger, discarded, maxAge);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.Failed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    // The lease is not given up at shutdown: a stopping server writes nothing more to its store (it
    // is disposed right after), and another replica takes over when the lease runs out.
    public override Task StopAsync(CancellationToken cancellationToken) =>
        // Wait for a purge in flight to end whatever the host's token says.
        base.StopAsync(CancellationToken.None);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Discarded {Count} upload sessions older than {MaxAge}")]
        public static partial void Purged(ILogger logger, int count, TimeSpan maxAge);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Discarded {Count} partial writes (multipart uploads) older than {MaxAge} left by stopped processes")]
        public static partial void DiscardedWrites(ILogger logger, int count, TimeSpan maxAge);

        [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Discarding old upload sessions failed; will retry")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
