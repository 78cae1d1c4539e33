using System.Net;
using Wharf.Tests.Api;

namespace Wharf.Tests.Observability;

/// <summary>Every answer carries an <c>X-Request-Id</c>: the caller's when it is short and plain,
/// the server's own otherwise, on errors as on successes.</summary>
public sealed class RequestIdApiTests : IClassFixture<WharfApiFactory>
{
    private readonly HttpClient _client;

    public RequestIdApiTests(WharfApiFactory factory) => _client = factory.CreateClient();

    [Fact]
    public async Task CallersId_IsEchoed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/");
        request.Headers.Add("X-Request-Id", "lb-7f3a:42");

        using var response = await _client.SendAsync(request);

        Assert.Equal("lb-7f3a:42", response.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task NoId_TheServerGivesOne_DifferentPerRequest()
    {
        using var first = await _client.GetAsync("/v2/");
        using var second = await _client.GetAsync("/v2/");

        var a = first.Headers.GetValues("X-Request-Id").Single();
        var b = second.Headers.GetValues("X-Request-Id").Single();
        Assert.False(string.IsNullOrWhiteSpace(a));
        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData("has spaces in it")]
    [InlineData("quote\"d")]
    public async Task UnfitId_IsReplaced(string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/");
        request.Headers.TryAddWithoutValidation("X-Request-Id", id);

        using var response = await _client.SendAsync(request);

        Assert.NotEqual(id, response.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task OverlongId_IsReplaced()
    {
        var id = new string('a', 129);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/");
        request.Headers.Add("X-Request-Id", id);

        using var response = await _client.SendAsync(request);

        Assert.NotEqual(id, response.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task ErrorAnswer_CarriesTheId()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/no/such/manifests/latest");
        request.Headers.Add("X-Request-Id", "error-1");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("error-1", response.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task MetricsOff_NoMetricsEndpoint()
    {
        using var response = await _client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
