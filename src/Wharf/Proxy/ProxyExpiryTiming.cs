namespace Wharf.Proxy;

/// <summary>How often the cache's housekeeping runs: recorded pulls are written to the metadata
/// store every <see cref="FlushInterval"/>, and unused manifests are looked for every
/// <see cref="PassInterval"/>. A service of its own, so that tests can run it in milliseconds.</summary>
internal sealed record ProxyExpiryTiming(TimeSpan PassInterval, TimeSpan FlushInterval)
{
    /// <summary>Pulls reach the store (and every replica's view of them) within this.</summary>
    public static readonly TimeSpan DefaultFlushInterval = TimeSpan.FromSeconds(30);

    /// <summary>A tenth of <paramref name="maxAge"/>, so that a manifest goes at most 10% after it
    /// has aged out; at least a minute (each pass queries the store) and at most an hour.</summary>
    public static ProxyExpiryTiming For(TimeSpan? maxAge)
    {
        var pass = maxAge is { } age ? age / 10 : TimeSpan.FromHours(1);
        return new ProxyExpiryTiming(TimeSpan.FromTicks(Math.Clamp(pass.Ticks, TimeSpan.FromMinutes(1).Ticks, TimeSpan.FromHours(1).Ticks)), DefaultFlushInterval);
    }
}
