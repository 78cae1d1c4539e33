using System.Net;
using Wharf.Tests.Api;
using Wharf.Tests.Configuration;
using Wharf.Tests.Auth;

namespace Wharf.Tests.Server;

/// <summary>Http:Headers (distribution's http.headers): added to every response, errors included.</summary>
public sealed class ResponseHeadersApiTests
{
    [Fact]
    public async Task Responses_HeadersConfigured_CarryThem()
    {
        using var factory = new WharfApiFactory(
            ("Http:Headers:X-Content-Type-Options:0", "nosniff"),
            ("Http:Headers:Access-Control-Allow-Methods:0", "GET"),
            ("Http:Headers:Access-Control-Allow-Methods:1", "HEAD"));
        using var http = factory.CreateClient();

        using var ok = await http.GetAsync(new Uri("/v2/", UriKind.Relative));
        using var notFound = await http.GetAsync(new Uri("/v2/no/such/manifests/latest", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(["nosniff"], ok.Headers.GetValues("X-Content-Type-Options"));
        Assert.Equal(["GET", "HEAD"], ok.Headers.GetValues("Access-Control-Allow-Methods"));
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal(["nosniff"], notFound.Headers.GetValues("X-Content-Type-Options"));
    }

    [Fact]
    public async Task Responses_NoHeadersConfigured_CarryNoneExtra()
    {
        using var factory = new WharfApiFactory();
        using var http = factory.CreateClient();

        using var ok = await http.GetAsync(new Uri("/v2/", UriKind.Relative));

        Assert.False(ok.Headers.Contains("X-Content-Type-Options"));
    }

    [Fact]
    public void StartupCheck_HeaderNameNotAToken_IsAProblem()
    {
        using var root = new TempDir("wharf-headers-");

        var problems = StartupChecks.Run(root.FullPath, ("Http:Headers:Bad Name:0", "x"));

        Assert.Equal(["Http:Headers: 'Bad Name' is not a header name"], problems);
    }

    [Fact]
    public void StartupCheck_HeaderValueWithLineBreak_IsAProblem()
    {
        using var root = new TempDir("wharf-headers-");

        var problems = StartupChecks.Run(root.FullPath, ("Http:Headers:X-Frame-Options:0", "DENY\r\nX-Injected: 1"));

        Assert.Equal(["Http:Headers:X-Frame-Options: a value must not contain CR, LF or NUL"], problems);
    }

    [Fact]
    public void StartupCheck_HeaderValueNull_IsAProblemNotACrash()
    {
        using var root = new TempDir("wharf-headers-");

        var problems = StartupChecks.Run(root.FullPath, ("Http:Headers:X-Frame-Options:0", "DENY"), ("Http:Headers:X-Frame-Options:1", null));

        Assert.Equal(["Http:Headers:X-Frame-Options:1: a value is required"], problems);
    }

    [Fact]
    public void Validate_NullValueInTheList_IsAProblemNotACrash()
    {
        var options = new Wharf.Server.HttpOptions { Headers = { ["X-Frame-Options"] = [null!] } };

        Assert.Equal(["Http:Headers:X-Frame-Options:0: a value is required"], options.Validate());
    }
}
