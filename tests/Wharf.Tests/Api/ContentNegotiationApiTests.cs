using System.Net;
using System.Net.Http.Headers;

namespace Wharf.Tests.Api;

public sealed class ContentNegotiationApiTests(WharfApiFactory factory) : ApiTestBase(factory)
{
    private async Task<HttpResponseMessage> GetWithAcceptAsync(HttpMethod method, string url, params string[] accept)
    {
        using var request = new HttpRequestMessage(method, url);
        foreach (var type in accept)
        {
            request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse(type));
        }
        return await Http.SendAsync(request);
    }

    [Fact]
    public async Task Get_AcceptListsStoredType_Returns200()
    {
        var repository = NewRepository();
        await Registry.PushImageAsync(repository, "v1");

        using var response = await GetWithAcceptAsync(HttpMethod.Get, $"/v2/{repository}/manifests/v1",
            Manifests.DockerManifestType, Manifests.DockerListType, Manifests.OciIndexType, Manifests.OciManifestType + ";q=0.5");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Head_AcceptOmitsStoredType_Returns404ManifestUnknown()
    {
        var repository = NewRepository();
        await Registry.PushImageAsync(repository, "v1");

        using var get = await GetWithAcceptAsync(HttpMethod.Get, $"/v2/{repository}/manifests/v1", Manifests.DockerManifestType);
        using var head = await GetWithAcceptAsync(HttpMethod.Head, $"/v2/{repository}/manifests/v1", Manifests.DockerManifestType);

        await RegistryClient.AssertErrorAsync(get, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Theory]
    [InlineData("*/*")]
    [InlineData("application/json")]
    public async Task Get_AcceptNamesNoManifestType_Returns200(string accept)
    {
        var repository = NewRepository();
        await Registry.PushImageAsync(repository, "v1");

        using var response = await GetWithAcceptAsync(HttpMethod.Get, $"/v2/{repository}/manifests/v1", accept);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
