using Wharf.Proxy;

namespace Wharf.Tests.Proxy;

/// <summary>Proxy:MaxAge's setting, how often its passes run, and which repositories they cover.</summary>
public sealed class ProxyExpiryTests
{
    private static ProxyOptions Options(TimeSpan? maxAge) =>
        new() { Upstreams = [new UpstreamOptions { Prefix = "a.test", Url = "https://a.test" }], MaxAge = maxAge };

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-1.00:00:00")]
    public void MaxAge_NotPositive_IsNamed(string maxAge) =>
        Assert.Contains(Options(TimeSpan.Parse(maxAge, System.Globalization.CultureInfo.InvariantCulture)).Validate(),
            p => p.Contains("Proxy:MaxAge must be positive", StringComparison.Ordinal));

    [Fact]
    public void MaxAge_PositiveOrUnset_HasNoProblems()
    {
        Assert.Empty(Options(TimeSpan.FromDays(30)).Validate());
        Assert.Empty(Options(null).Validate());
    }

    [Theory]
    [InlineData(7 * 24 * 60, 60)] // a tenth, at most an hour
    [InlineData(60, 6)]
    [InlineData(5, 1)] // at least a minute
    public void PassInterval_IsATenthOfMaxAge_BetweenAMinuteAndAnHour(int maxAgeMinutes, int expectedMinutes)
    {
        var timing = ProxyExpiryTiming.For(TimeSpan.FromMinutes(maxAgeMinutes));

        Assert.Equal(TimeSpan.FromMinutes(expectedMinutes), timing.PassInterval);
        Assert.Equal(ProxyExpiryTiming.DefaultFlushInterval, timing.FlushInterval);
    }

    [Fact]
    public void RootPrefixes_LeaveOutPrefixesInsideOthers()
    {
        Assert.Equal(["docker.io", "ghcr.io"], ProxyExpiry.RootPrefixes(["ghcr.io", "docker.io/library", "docker.io"]));
        Assert.Equal(["docker.io", "docker.iox"], ProxyExpiry.RootPrefixes(["docker.iox", "docker.io"]));
    }

    [Fact]
    public void RootPrefixes_WithAMirror_AreEveryRepository() =>
        Assert.Equal([""], ProxyExpiry.RootPrefixes(["docker.io", "", "ghcr.io"]));
}
