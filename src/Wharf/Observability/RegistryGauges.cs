using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Wharf.Gc;
using Wharf.Metadata;

namespace Wharf.Observability;

/// <summary>
/// Metrics read when Prometheus scrapes: what garbage collection and the upload purge have done
/// in this process, and how many bytes the registry stores. The stored total is a query over
/// every blob, so it is refreshed in the background at most once a <c>Metrics:StorageRefresh</c>
/// (a minute) and a scrape reads the last answer. A meter of this server's own (from <see cref="IMeterFactory"/>), so its callbacks
/// end with the server.
/// </summary>
internal sealed partial class RegistryGauges
{
    public const string MeterName = "Wharf.Registry";

    private readonly IMetadataStore _metadata;
    private readonly TimeProvider _time;
    private readonly ILogger<RegistryGauges> _logger;
    private readonly TimeSpan _usageRefresh;
    private readonly Lock _lock = new();
    private (long Blobs, long Bytes)? _usage;
    private DateTimeOffset _usageReadAt = DateTimeOffset.MinValue;
    private bool _refreshing;

    public RegistryGauges(IMeterFactory meters, GarbageCollector collector, IMetadataStore metadata, TimeProvider time, IOptions<MetricsOptions> options, ILogger<RegistryGauges> logger)
    {
        _usageRefresh = options.Value.StorageRefresh;
        _metadata = metadata;
        _time = time;
        _logger = logger;
        var meter = meters.Create(MeterName);
        var gc = collector.Statistics;
        meter.CreateObservableCounter("wharf.gc.reviews", () => gc.Reviews, description: "Candidates garbage collection reviewed");
        meter.CreateObservableCounter("wharf.gc.blobs_deleted", () => gc.BlobsDeleted, description: "Blobs garbage collection deleted");
        meter.CreateObservableCounter("wharf.gc.freed", () => gc.BytesFreed, unit: "By", description: "Bytes garbage collection gave back");
        meter.CreateObservableCounter("wharf.gc.links_removed", () => gc.LinksRemoved, description: "Repository links to blobs garbage collection removed");
        meter.CreateObservableCounter("wharf.gc.manifests_deleted", () => gc.ManifestsDeleted, description: "Untagged manifests garbage collection deleted");
        meter.CreateObservableCounter("wharf.uploads.purged", () => gc.UploadsPurged, description: "Abandoned upload sessions the purge removed");
        meter.CreateObservableGauge("wharf.storage.blobs", () => Usage(u => u.Blobs), description: "Blobs the registry stores (refreshed at most once a minute)");
        meter.CreateObservableGauge("wharf.storage.size", () => Usage(u => u.Bytes), unit: "By", description: "Bytes of blobs the registry stores, each blob once (refreshed at most once a minute)");
    }

    private IEnumerable<Measurement<long>> Usage(Func<(long Blobs, long Bytes), long> pick)
    {
        (long, long)? usage;
        lock (_lock)
        {
            usage = _usage;
            if (!_refreshing && _time.GetUtcNow() - _usageReadAt >= _usageRefresh)
            {
                _refreshing = true;
                _ = Task.Run(RefreshAsync);
            }
        }
        return usage is { } known ? [new Measurement<long>(pick(known))] : [];
    }

    private async Task RefreshAsync()
    {
        try
        {
            var now = _time.GetUtcNow();
            // The totals alone: not the per-repository shares /wharf/gc computes.
            var counts = await _metadata.CountAsync(CancellationToken.None);
            lock (_lock)
            {
                _usage = (counts.Blobs, counts.BlobBytes);
                _usageReadAt = now;
            }
        }
        catch (Exception e)
        {
            Log.UsageFailed(_logger, e);
        }
        finally
        {
            lock (_lock)
            {
                _refreshing = false;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Reading the stored total for the metrics failed")]
        public static partial void UsageFailed(ILogger logger, Exception exception);
    }
}
