using System.Net;
using Microsoft.Extensions.Options;
using Wharf.Api;
using Wharf.Configuration;
using Wharf.Distribution;

namespace Wharf.Tests.Limits;

public sealed class UploadConcurrencyTests
{
    private static UploadConcurrency Limiter(int max) => new(Options.Create(new LimitOptions { MaxConcurrentUploadsPerClient = max }));

    [Fact]
    public void Enter_BeyondTheCap_Throws429WithRetryAfter()
    {
        var limiter = Limiter(2);
        var client = IPAddress.Parse("192.0.2.1");
        using var first = limiter.Enter(client);
        using var second = limiter.Enter(client);

        var error = Assert.Throws<RegistryException>(() => limiter.Enter(client));

        Assert.Equal(ErrorCode.TooManyRequests, error.Code);
        Assert.Equal(429, error.Status);
        Assert.Equal("1", error.Headers!["Retry-After"]);
    }

    [Fact]
    public void Enter_AfterALeaseEnds_IsAllowedAgain()
    {
        var limiter = Limiter(1);
        var client = IPAddress.Parse("192.0.2.1");
        limiter.Enter(client).Dispose();

        using var again = limiter.Enter(client);
    }

    [Fact]
    public void Enter_OtherClient_HasItsOwnCap()
    {
        var limiter = Limiter(1);
        using var first = limiter.Enter(IPAddress.Parse("192.0.2.1"));

        using var other = limiter.Enter(IPAddress.Parse("192.0.2.2"));
    }
}
