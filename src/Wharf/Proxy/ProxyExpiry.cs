using Microsoft.Extensions.Options;
using Wharf.Metadata;
using Wharf.Registry;

namespace Wharf.Proxy;

/// <summary>
/// With <see cref="ProxyOptions.MaxAge"/> set, deletes the cached manifests (and their tags) that
/// nobody pulled for that long, every <see cref="ProxyExpiryTiming.PassInterval"/>, on the one
/// replica holding the expiry lease. Garbage collection then frees the blobs that nothing else
/// uses, as after any delete. The next pull of an expired image fetches it again.
/// </summary>
/// <remarks>
/// Proxied repositories are those under an upstream's prefix; with a mirror (an upstream without
/// one), every repository is proxied. Pulls made on other replicas reach the store within their
/// flush interval, so an image last pulled long ago and pulled again on another replica seconds
/// before a pass may still go: its next pull then fetches it again, nothing worse.
/// </remarks>
internal sealed partial class ProxyExpiry(
    PullThrough pullThrough, ManifestService manifests, ManifestPulls pulls, IMetadataStore metadata, IOptions<ProxyOptions> options,
    ProxyExpiryTiming timing, Operations.IReadOnlyMode readOnly, TimeProvider time, ILogger<ProxyExpiry> logger) : BackgroundService
{
    public const string Lease = "proxy-expiry";

    private const int BatchSize = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.MaxAge is not { } maxAge)
        {
            return;
        }
        // Held a while past the next pass: the holder renews it then and keeps the work, another
        // replica takes over only once the holder has missed a pass.
        var leaseFor = timing.PassInterval * 1.5;
        using var timer = new PeriodicTimer(timing.PassInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (readOnly.IsReadOnly)
            {
                continue;
            }
            try
            {
                if (await metadata.TryAcquireLeaseAsync(Lease, Gc.GcWorker.Worker, leaseFor, stoppingToken))
                {
                    await PassAsync(maxAge, leaseFor, stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.Failed(logger, e);
            }
        }
    }

    internal async Task<ExpiryPass> PassAsync(TimeSpan maxAge, TimeSpan leaseFor, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - maxAge;
        var pass = new ExpiryPass();
        // Pulls this process has not written yet are written first; those made during the pass
        // are held back, so that the pass sees them and keeps what was just pulled.
        using (await pulls.FlushAndHoldAsync(cancellationToken))
        {
            foreach (var prefix in RootPrefixes(pullThrough.Upstreams.Select(u => u.Prefix)))
            {
                if (!await ExpireUnderAsync(prefix, cutoff, leaseFor, pass, cancellationToken))
                {
                    break;
                }
            }
        }
        var (expired, repositories, kept) = (pass.Expired, pass.Repositories.Count, pass.Kept);
        if (expired > 0)
        {
            Log.Expired(logger, expired, repositories, maxAge, kept);
        }
        else
        {
            Log.NothingExpired(logger, maxAge, kept);
        }
        return pass;
    }

    /// <returns>False when the pass must stop: the lease went elsewhere, or the registry turned read-only.</returns>
    private async Task<bool> ExpireUnderAsync(string prefix, DateTimeOffset cutoff, TimeSpan leaseFor, ExpiryPass pass, CancellationToken cancellationToken)
    {
        ManifestKey? after = null;
        while (true)
        {
            var unused = await metadata.ListManifestsUnusedSinceAsync(prefix, cutoff, after, BatchSize, cancellationToken);
            foreach (var manifest in unused)
            {
                // The store answers by name; whether the proxy serves the repository is its call.
                if (pullThrough.Match(manifest.Repository) is not { } proxied)
                {
                    continue;
                }
                if (pulls.IsPending(manifest))
                {
                    pass.Kept++;
                    continue;
                }
                if (await manifests.ExpireAsync(manifest.Repository, manifest.Digest, cancellationToken))
                {
                    pass.Expired++;
                    pass.Repositories.Add(manifest.Repository.Value);
                    ProxyMetrics.Expired(proxied.Upstream);
                }
            }
            if (unused.Count < BatchSize)
            {
                return true;
            }
            after = unused[^1];
            if (readOnly.IsReadOnly || !await metadata.TryAcquireLeaseAsync(Lease, Gc.GcWorker.Worker, leaseFor, cancellationToken))
            {
                return false;
            }
        }
    }

    /// <summary>The prefixes whose repositories are all proxied, none inside another: just the
    /// empty one when a mirror is configured (it takes every repository no prefix claims).</summary>
    internal static IReadOnlyList<string> RootPrefixes(IEnumerable<string> prefixes)
    {
        var all = prefixes.Distinct(StringComparer.Ordinal).ToList();
        if (all.Contains(""))
        {
            return [""];
        }
        return [.. all.Where(p => !all.Any(o => p.StartsWith(o + "/", StringComparison.Ordinal))).Order(StringComparer.Ordinal)];
    }

    internal sealed class ExpiryPass
    {
        public int Expired { get; set; }

        /// <summary>Listed as unused but pulled during the pass, so kept.</summary>
        public int Kept { get; set; }

        public HashSet<string> Repositories { get; } = new(StringComparer.Ordinal);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6100, Level = LogLevel.Information,
            Message = "Pull-through cache: deleted {Expired} cached manifests of {Repositories} repositories not pulled for {MaxAge}; {Kept} pulled during the pass were kept")]
        public static partial void Expired(ILogger logger, int expired, int repositories, TimeSpan maxAge, int kept);

        [LoggerMessage(EventId = 6101, Level = LogLevel.Debug, Message = "Pull-through cache: no cached manifest unpulled for {MaxAge}; {Kept} pulled during the pass were kept")]
        public static partial void NothingExpired(ILogger logger, TimeSpan maxAge, int kept);

        [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "Pull-through cache expiry failed; will retry")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
