using System.Net;
using Wharf.Auth;

namespace Wharf.Tests.Auth;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

public sealed class LoginThrottleTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress OtherClient = IPAddress.Parse("2001:db8::20");
    private readonly ManualClock _clock = new();

    private LoginThrottle Throttle(int max = 3, int windowSeconds = 60) =>
        new(new AuthOptions { MaxFailedLogins = max, FailedLoginWindow = TimeSpan.FromSeconds(windowSeconds) }, _clock);

    [Fact]
    public void RetryAfter_FewerFailuresThanMaximum_Null()
    {
        var throttle = Throttle();
        throttle.Failed(Client);
        throttle.Failed(Client);

        Assert.Null(throttle.RetryAfter(Client));
    }

    [Fact]
    public void RetryAfter_MaximumReached_RestOfTheWindow()
    {
        var throttle = Throttle();
        throttle.Failed(Client);
        _clock.Advance(TimeSpan.FromSeconds(10));
        throttle.Failed(Client);
        throttle.Failed(Client);

        Assert.Equal(TimeSpan.FromSeconds(50), throttle.RetryAfter(Client));
        _clock.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(TimeSpan.FromSeconds(5), throttle.RetryAfter(Client));
    }

    [Fact]
    public void RetryAfter_WindowPassed_Null()
    {
        var throttle = Throttle();
        for (var i = 0; i < 5; i++)
        {
            throttle.Failed(Client);
        }
        _clock.Advance(TimeSpan.FromSeconds(60));

        Assert.Null(throttle.RetryAfter(Client));
    }

    [Fact]
    public void Failed_AfterWindowPassed_StartsCountingAgain()
    {
        var throttle = Throttle();
        throttle.Failed(Client);
        throttle.Failed(Client);
        _clock.Advance(TimeSpan.FromSeconds(61));
        throttle.Failed(Client);
        throttle.Failed(Client);

        Assert.Null(throttle.RetryAfter(Client));
        throttle.Failed(Client);
        Assert.NotNull(throttle.RetryAfter(Client));
    }

    [Fact]
    public void Succeeded_ForgetsFailures()
    {
        var throttle = Throttle();
        throttle.Failed(Client);
        throttle.Failed(Client);
        throttle.Succeeded(Client);
        throttle.Failed(Client);
        throttle.Failed(Client);

        Assert.Null(throttle.RetryAfter(Client));
    }

    [Fact]
    public void RetryAfter_IsPerAddress()
    {
        var throttle = Throttle();
        for (var i = 0; i < 3; i++)
        {
            throttle.Failed(Client);
        }

        Assert.NotNull(throttle.RetryAfter(Client));
        Assert.Null(throttle.RetryAfter(OtherClient));
    }

    [Fact]
    public void NullAddress_IsNeverThrottled()
    {
        var throttle = Throttle(max: 1);
        throttle.Failed(null);
        throttle.Failed(null);

        Assert.Null(throttle.RetryAfter(null));
    }

    [Fact]
    public void Failed_ManyAddresses_OldEntriesAreForgotten()
    {
        var throttle = Throttle(max: 1, windowSeconds: 1);
        for (var i = 0; i < 10_050; i++)
        {
            throttle.Failed(new IPAddress(BitConverter.GetBytes(0x0A000000 + i)));
        }
        _clock.Advance(TimeSpan.FromSeconds(2));
        throttle.Failed(Client);

        Assert.Null(throttle.RetryAfter(new IPAddress(BitConverter.GetBytes(0x0A000000))));
        Assert.NotNull(throttle.RetryAfter(Client));
    }

    [Fact]
    public async Task Failed_Concurrently_CountsEveryFailure()
    {
        var throttle = Throttle(max: 1000);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 125; i++)
            {
                throttle.Failed(Client);
            }
        })));

        Assert.NotNull(throttle.RetryAfter(Client));
    }
}
