using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Wharf.Diagnostics;

/// <summary>
/// Wharf's instruments, in .NET's own metrics and tracing API (<see cref="Meter"/>,
/// <see cref="ActivitySource"/>), which OpenTelemetry reads: the server exports them on
/// <c>/metrics</c> (Prometheus) and over OTLP when configured. With nothing listening, a
/// measurement is one check of a flag and a span is a null, so the instruments cost nothing when
/// metrics and tracing are off.
/// Names are OpenTelemetry's dotted ones; the Prometheus exporter turns <c>wharf.http.requests</c>
/// into <c>wharf_http_requests_total</c> and a unit of <c>s</c> into a <c>_seconds</c> suffix.
/// </summary>
public static class WharfTelemetry
{
    public const string Name = "Wharf";

    public static readonly Meter Meter = new(Name);

    public static readonly ActivitySource Source = new(Name);

    /// <summary>Bucket bounds for latencies in seconds: a cached manifest GET takes tens of
    /// microseconds, a large blob push minutes.</summary>
    public static readonly IReadOnlyList<double> LatencyBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    public static readonly Counter<long> ManifestCacheHits = Meter.CreateCounter<long>(
        "wharf.manifest_cache.hits", description: "Manifest GETs and HEADs answered from the in-memory cache");

    public static readonly Counter<long> ManifestCacheMisses = Meter.CreateCounter<long>(
        "wharf.manifest_cache.misses", description: "Manifest GETs and HEADs that read the metadata store");

    public static readonly Histogram<double> MetadataDuration = Meter.CreateHistogram(
        "wharf.metadata.operation.duration", unit: "s", description: "Time the metadata store took for one operation",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    public static readonly Histogram<double> StorageDuration = Meter.CreateHistogram(
        "wharf.storage.operation.duration", unit: "s", description: "Time the blob storage took for one operation (opening a stream, not reading it)",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    /// <summary>Times one call of a store (and traces it, when tracing is on): dispose when the
    /// call has finished.</summary>
    public static OperationScope Begin(Histogram<double> duration, string kind, string operation) =>
        new(duration, operation, Source.StartActivity($"{kind} {operation}", ActivityKind.Internal));

    public readonly struct OperationScope(Histogram<double> duration, string operation, Activity? activity) : IDisposable
    {
        private readonly long _started = Stopwatch.GetTimestamp();

        public void Dispose()
        {
            duration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, new KeyValuePair<string, object?>("operation", operation));
            activity?.Dispose();
        }
    }
}
