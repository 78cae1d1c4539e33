using Microsoft.Extensions.Options;
using Wharf.Configuration;
using Wharf.Metadata;

namespace Wharf.Gc;

/// <summary>
/// Runs garbage collection inside the server: every <see cref="GcOptions.Interval"/> it reviews
/// the candidates that are due. Every replica does, and each candidate goes to one of them (the
/// store's claims), so the work spreads over the cluster. With <see cref="GcOptions.Sweep"/> set,
/// the replica holding the sweep lease also sweeps on that schedule. Nothing is deleted while the
/// registry is read-only.
/// </summary>
internal sealed partial class GcWorker(GarbageCollector collector, IMetadataStore metadata, IOptions<GcOptions> options, Operations.IReadOnlyMode readOnly, TimeProvider time, ILogger<GcWorker> logger) : BackgroundService
{
    public const string SweepLease = "gc-sweep";

    /// <summary>How long one pass of reviews runs before it reports and looks around.</summary>
    private static readonly TimeSpan PassLimit = TimeSpan.FromSeconds(10);

    /// <summary>Who this process is in the review queue's claims and the sweep lease.</summary>
    internal static string Worker { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }
        var nextSweep = time.GetUtcNow();
        using var timer = new PeriodicTimer(settings.Interval, time);
        do
        {
            if (readOnly.IsReadOnly)
            {
                continue;
            }
            try
            {
                if (settings.Sweep is { } every && time.GetUtcNow() >= nextSweep
                    && await metadata.TryAcquireLeaseAsync(SweepLease, Worker, every, stoppingToken))
                {
                    // The lease is kept for the whole period: the next sweep, anywhere, is due then.
                    nextSweep = time.GetUtcNow() + every;
                    var unknown = await collector.SweepAsync(queue: true, null, stoppingToken);
                    var plan = await collector.QueueEverythingUnusedAsync(settings.DeleteUntagged, stoppingToken);
                    Log.Swept(logger, unknown.Count, plan.Blobs.Count + plan.Links.Count + plan.Manifests.Count);
                }
                GcPassResult pass;
                do
                {
                    // A pass ends every few seconds even while more is due (a steady stream of
                    // deletes), so that the log shows progress and read-only mode is seen.
                    pass = await collector.ReviewDueAsync(Worker, settings.DeleteUntagged, stoppingToken, PassLimit);
                    if (pass.BlobsDeleted + pass.LinksRemoved + pass.ManifestsDeleted > 0)
                    {
                        Log.Collected(logger, pass.Reviews, pass.BlobsDeleted, pass.BytesFreed, pass.LinksRemoved, pass.ManifestsDeleted);
                    }
                }
                while (pass.More && !readOnly.IsReadOnly && !stoppingToken.IsCancellationRequested);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.Failed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override Task StopAsync(CancellationToken cancellationToken) =>
        // A review in flight finishes its current candidate (row and bytes) whatever the host says.
        base.StopAsync(CancellationToken.None);

    private static partial class Log
    {
        [LoggerMessage(EventId = 3000, Level = LogLevel.Information,
            Message = "Garbage collection: {Reviews} reviews; deleted {Blobs} blobs ({Bytes} bytes), {Links} unused repository links, {Manifests} untagged manifests")]
        public static partial void Collected(ILogger logger, long reviews, long blobs, long bytes, long links, long manifests);

        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Garbage collection sweep: {Unknown} blobs unknown to the metadata and {Unused} unused items queued for review")]
        public static partial void Swept(ILogger logger, int unknown, int unused);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Garbage collection failed; will retry")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
