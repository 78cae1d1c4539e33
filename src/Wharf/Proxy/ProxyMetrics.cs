using System.Diagnostics.Metrics;
using Wharf.Diagnostics;

namespace Wharf.Proxy;

/// <summary>The pull-through cache's counters, on Wharf's meter: what was served from the cache,
/// what had to come from an upstream, the bytes that came, and what went wrong with upstreams.</summary>
internal static class ProxyMetrics
{
    public const string Hit = "hit";
    public const string Miss = "miss";
    public const string Stale = "stale";
    public const string Unavailable = "unavailable";

    private static readonly Counter<long> Requests = WharfTelemetry.Meter.CreateCounter<long>(
        "wharf.proxy.requests", description: "Proxied manifest and blob pulls, by upstream, kind and result (hit, miss, stale, unavailable)");

    private static readonly Counter<long> Bytes = WharfTelemetry.Meter.CreateCounter<long>(
        "wharf.proxy.upstream.bytes", unit: "By", description: "Bytes fetched from upstreams");

    private static readonly Counter<long> Errors = WharfTelemetry.Meter.CreateCounter<long>(
        "wharf.proxy.upstream.errors", description: "Failed upstream fetches, by upstream and reason");

    private static readonly Counter<long> ExpiredManifests = WharfTelemetry.Meter.CreateCounter<long>(
        "wharf.proxy.expired", description: "Cached manifests deleted because nobody pulled them for Proxy:MaxAge, by upstream");

    public static void Expired(UpstreamRegistry upstream) =>
        ExpiredManifests.Add(1, new KeyValuePair<string, object?>("upstream", upstream.Name));

    public static void Served(UpstreamRegistry upstream, string kind, string result) =>
        Requests.Add(1, new("upstream", upstream.Name), new("kind", kind), new("result", result));

    public static void UpstreamBytes(UpstreamRegistry upstream, long count) =>
        Bytes.Add(count, new KeyValuePair<string, object?>("upstream", upstream.Name));

    public static void UpstreamError(UpstreamRegistry upstream, string reason) =>
        Errors.Add(1, new("upstream", upstream.Name), new("reason", reason));
}
