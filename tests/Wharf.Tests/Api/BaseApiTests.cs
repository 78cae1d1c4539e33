using System.Net;

namespace Wharf.Tests.Api;

public sealed class BaseApiTests(WharfApiFactory factory) : ApiTestBase(factory)
{
    [Fact]
    public async Task GetV2_Always_Returns200WithEmptyObjectAndApiVersion()
    {
        using var response = await Http.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync());
        Assert.Equal("registry/2.0", response.Headers.GetValues("Docker-Distribution-API-Version").Single());
    }

    [Fact]
    public async Task GetV2_WithoutTrailingSlash_Returns200()
    {
        using var response = await Http.GetAsync("/v2");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    // "/" is the web UI's (see Ui/UiPagesTests); with Ui:Enabled=false it is 404 too (UiDisabledTests).
    [Theory]
    [InlineData("/favicon.ico")]
    [InlineData("/v2/team/app/unknown/thing")]
    [InlineData("/v2/team/app")]
    [InlineData("/v3/")]
    public async Task Get_UnknownPath_Returns404WithSpecErrorBody(string path)
    {
        using var response = await Http.GetAsync(path);
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.NotFound, "UNSUPPORTED");
        Assert.Equal("registry/2.0", response.Headers.GetValues("Docker-Distribution-API-Version").Single());
    }

    [Fact]
    public async Task Post_OnManifest_Returns405UnsupportedWithAllow()
    {
        using var response = await Http.PostAsync("/v2/team/app/manifests/latest", new ByteArrayContent([]));
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
        Assert.Contains("PUT", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Errors_Always_HaveCodeMessageAndDetail()
    {
        using var response = await Http.GetAsync("/v2/team/app/blobs/sha256:" + new string('0', 64));
        var body = await response.Content.ReadAsStringAsync();
        using var document = System.Text.Json.JsonDocument.Parse(body);
        var error = document.RootElement.GetProperty("errors")[0];
        Assert.Equal("BLOB_UNKNOWN", error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.True(error.TryGetProperty("detail", out _));
        Assert.StartsWith("application/json", response.Content.Headers.ContentType!.ToString());
    }
}
