using System.Net;
using Wharf.Tests.Api;

namespace Wharf.Tests.Operations;

/// <summary>Storage:ReadOnly: every write is 405 UNSUPPORTED with a message saying why; pulls work.</summary>
public sealed class ReadOnlyModeApiTests : IDisposable
{
    private readonly WharfApiFactory _writable = new();

    public void Dispose() => _writable.Dispose();

    [Fact]
    public async Task Writes_ReadOnly_Answer405UnsupportedAndPullsStillWork()
    {
        var writer = new RegistryClient(_writable.CreateClient());
        var (_, digest) = await writer.PushImageAsync("ro/app", "v1");
        // The same data directory, served read-only.
        using var readOnly = new WharfApiFactory(("Storage:ReadOnly", "true"), ("Storage:Root", _writable.StorageRoot));
        var reader = new RegistryClient(readOnly.CreateClient());

        using var pull = await reader.Http.GetAsync("/v2/ro/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        Assert.Equal(digest, pull.Headers.GetValues("Docker-Content-Digest").Single());

        foreach (var (method, path) in new[]
        {
            (HttpMethod.Post, "/v2/ro/app/blobs/uploads/"),
            (HttpMethod.Put, "/v2/ro/app/manifests/v2"),
            (HttpMethod.Delete, $"/v2/ro/app/manifests/{digest}"),
            (HttpMethod.Patch, "/v2/ro/app/blobs/uploads/some-id"),
        })
        {
            using var response = await reader.Http.SendAsync(new HttpRequestMessage(method, path) { Content = new ByteArrayContent([1]) });
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            Assert.Equal("UNSUPPORTED", await RegistryClient.ErrorCodeAsync(response));
            Assert.Contains("read-only", await response.Content.ReadAsStringAsync());
        }
        using var still = await reader.Http.GetAsync("/v2/ro/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }
}
