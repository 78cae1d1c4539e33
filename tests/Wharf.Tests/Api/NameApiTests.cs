using System.Net;

namespace Wharf.Tests.Api;

/// <summary>Repository names of many components, and names that must be refused.</summary>
public sealed class NameApiTests(WharfApiFactory factory) : ApiTestBase(factory)
{
    [Theory]
    [InlineData("a/b/c/d")]
    [InlineData("library/ubuntu")]
    [InlineData("x/blobs/y")]
    [InlineData("x/manifests/y")]
    [InlineData("my-org/my.app_v2")]
    public async Task PushAndPull_MultiComponentName_Works(string name)
    {
        var repository = $"{name}{Guid.NewGuid():N}";
        var (json, digest) = await Registry.PushImageAsync(repository, "v1");

        using var response = await Http.GetAsync($"/v2/{repository}/manifests/v1");
        var tags = await Http.GetStringAsync($"/v2/{repository}/tags/list");

        Assert.Equal(json, await response.Content.ReadAsStringAsync());
        Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Contains("\"v1\"", tags, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("UPPER/case")]
    [InlineData("a..b")]
    [InlineData("-lead")]
    [InlineData("trail-")]
    [InlineData("a%2Fb")]
    [InlineData("a%20b")]
    [InlineData("a__-b")]
    public async Task Get_InvalidName_Returns400NameInvalid(string name)
    {
        using var manifest = await Http.GetAsync($"/v2/{name}/manifests/latest");
        using var tags = await Http.GetAsync($"/v2/{name}/tags/list");
        using var upload = await Http.PostAsync($"/v2/{name}/blobs/uploads/", null);

        await RegistryClient.AssertErrorAsync(manifest, HttpStatusCode.BadRequest, "NAME_INVALID");
        await RegistryClient.AssertErrorAsync(tags, HttpStatusCode.BadRequest, "NAME_INVALID");
        await RegistryClient.AssertErrorAsync(upload, HttpStatusCode.BadRequest, "NAME_INVALID");
    }

    [Fact]
    public async Task Get_NameLongerThan255_Returns400NameInvalid()
    {
        var name = string.Join('/', Enumerable.Repeat(new string('a', 50), 6));
        using var response = await Http.GetAsync($"/v2/{name}/tags/list");
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "NAME_INVALID");
    }

    [Theory]
    [InlineData("/v2/%2e%2e/%2e%2e/etc/manifests/latest")]
    [InlineData("/v2/..%2f..%2fetc/manifests/latest")]
    [InlineData("/v2/a/%2e%2e/%2e%2e/%2e%2e/blobs/uploads/")]
    [InlineData("/v2/a/blobs/uploads/%2e%2e%2f%2e%2e")]
    [InlineData("/v2/a/manifests/..%2f..%2fx")]
    [InlineData("/v2/a/blobs/sha256:..%2f..%2f..")]
    public async Task AnyRequest_PathTricks_AreRefusedWithJsonErrorAndWriteNothing(string path)
    {
        using var get = await Http.GetAsync(path);
        using var post = await Http.PostAsync(path, new ByteArrayContent([1, 2, 3]));
        using var put = await Http.PutAsync(path, new ByteArrayContent([1, 2, 3]));

        foreach (var response in new[] { get, post, put })
        {
            Assert.True((int)response.StatusCode is 400 or 404 or 405, $"{path}: {(int)response.StatusCode}");
            Assert.NotEmpty(await RegistryClient.ErrorCodeAsync(response));
        }
        // Nothing was stored: no repository, blob or upload came of it.
        Assert.DoesNotContain("\"etc", await Http.GetStringAsync("/v2/_catalog"), StringComparison.Ordinal);
        var blobs = Path.Combine(Factory.StorageRoot, "docker/registry/v2/blobs");
        Assert.False(Directory.Exists(blobs) && Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories).Any(f => File.ReadAllBytes(f) is [1, 2, 3]));
    }
}
