using System.Net;
using System.Net.Http.Headers;
using Wharf.Tests.Api;

namespace Wharf.Tests.Ui;

/// <summary>The web UI's pages and assets, served from the executable.</summary>
public sealed class UiPagesTests(WharfApiFactory factory) : ApiTestBase(factory)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/r/team/app")]
    [InlineData("/r/team/app:v1")]
    [InlineData("/r/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public async Task Page_AnyView_IsTheShellWithAStrictContentSecurityPolicy(string path)
    {
        using var response = await Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("<html", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/wharf/ui/app.js", "text/javascript")]
    [InlineData("/wharf/ui/app.css", "text/css")]
    [InlineData("/wharf/ui/icon.svg", "image/svg+xml")]
    public async Task Asset_Known_IsServedWithItsTypeAndRevalidatedByETag(string path, string type)
    {
        using var response = await Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync());
        var etag = response.Headers.ETag;
        Assert.NotNull(etag);

        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.IfNoneMatch.Add(etag);
        using var again = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    [Fact]
    public async Task Asset_BrotliAccepted_IsSentCompressed()
    {
        using var plain = await Http.GetAsync("/wharf/ui/app.js");
        var size = (await plain.Content.ReadAsByteArrayAsync()).Length;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/wharf/ui/app.js");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("br"));
        using var response = await Http.SendAsync(request);

        Assert.Equal("br", Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.True(response.Content.Headers.ContentLength < size, $"{response.Content.Headers.ContentLength} compressed of {size}");
    }

    [Theory]
    [InlineData("/wharf/ui/missing.js")]
    [InlineData("/wharf/ui/..%2F..%2Fappsettings.json")]
    [InlineData("/r")]
    public async Task Asset_Unknown_Is404(string path)
    {
        using var response = await Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

/// <summary>Ui:Enabled=false: no pages, no assets, no UI API.</summary>
public sealed class UiDisabledTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/r/team/app")]
    [InlineData("/wharf/ui/app.js")]
    [InlineData("/wharf/ui/api/repositories")]
    [InlineData("/wharf/ui/api/session")]
    public async Task UiOff_UiPaths_Are404AndTheRegistryStillAnswers(string path)
    {
        using var factory = new WharfApiFactory([("Ui:Enabled", "false")]);
        using var http = factory.CreateClient();

        using var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var registry = await http.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, registry.StatusCode);
    }
}
