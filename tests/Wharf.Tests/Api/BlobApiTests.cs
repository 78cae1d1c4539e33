using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Wharf.Tests.Api;

public sealed class BlobApiTests(WharfApiFactory factory) : ApiTestBase(factory)
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("0123456789abcdef");

    [Fact]
    public async Task Head_PushedBlob_Returns200WithLengthDigestAndEtag()
    {
        var repository = NewRepository();
        var digest = await Registry.PushBlobAsync(repository, Content);

        using var response = await Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Content.Length, response.Content.Headers.ContentLength);
        Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal($"\"{digest}\"", response.Headers.ETag!.Tag);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_PushedBlob_ReturnsTheBytes()
    {
        var repository = NewRepository();
        var digest = await Registry.PushBlobAsync(repository, Content);

        using var response = await Http.GetAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Content, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Fact]
    public async Task Get_WithRange_Returns206AndThatRange()
    {
        var repository = NewRepository();
        var digest = await Registry.PushBlobAsync(repository, Content);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}");
        request.Headers.Range = new RangeHeaderValue(2, 5);

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("2345", await response.Content.ReadAsStringAsync());
        Assert.Equal($"bytes 2-5/{Content.Length}", response.Content.Headers.ContentRange!.ToString());
    }

    [Fact]
    public async Task Get_RangeBeyondEnd_Returns416()
    {
        var repository = NewRepository();
        var digest = await Registry.PushBlobAsync(repository, Content);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}");
        request.Headers.Range = new RangeHeaderValue(1000, 2000);

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
    }

    [Fact]
    public async Task Get_IfNoneMatchDigest_Returns304()
    {
        var repository = NewRepository();
        var digest = await Registry.PushBlobAsync(repository, Content);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/blobs/{digest}");
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{digest}\""));

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task Get_UnknownBlob_Returns404BlobUnknown()
    {
        using var response = await Http.GetAsync($"/v2/{NewRepository()}/blobs/sha256:{new string('a', 64)}");
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task Head_UnknownBlob_Returns404WithoutBody()
    {
        using var response = await Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{NewRepository()}/blobs/sha256:{new string('a', 64)}"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_BlobOfAnotherRepository_Returns404()
    {
        var digest = await Registry.PushBlobAsync(NewRepository(), Content);
        using var response = await Http.GetAsync($"/v2/{NewRepository()}/blobs/{digest}");
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("sha256:" + "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("notadigest")]
    public async Task Get_InvalidDigest_Returns400DigestInvalid(string digest)
    {
        using var response = await Http.GetAsync($"/v2/{NewRepository()}/blobs/{digest}");
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task Delete_LinkedBlob_Returns202AndThen404()
    {
        var repository = NewRepository();
        var digest = await Registry.PushBlobAsync(repository, Content);

        using var delete = await Http.DeleteAsync($"/v2/{repository}/blobs/{digest}");
        using var get = await Http.GetAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        await RegistryClient.AssertErrorAsync(get, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task Delete_BlobLinkedElsewhereToo_LeavesTheOtherRepositoryReading()
    {
        var first = NewRepository();
        var second = NewRepository();
        var digest = await Registry.PushBlobAsync(first, Content);
        await Registry.PushBlobAsync(second, Content);

        using var delete = await Http.DeleteAsync($"/v2/{first}/blobs/{digest}");
        using var get = await Http.GetAsync($"/v2/{second}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Equal(Content, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Delete_UnknownBlob_Returns404()
    {
        using var response = await Http.DeleteAsync($"/v2/{NewRepository()}/blobs/sha256:{new string('b', 64)}");
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task Get_Sha512Blob_RoundTrips()
    {
        var repository = NewRepository();
        var digest = "sha512:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA512.HashData(Content));
        using var push = await Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", new ByteArrayContent(Content));
        using var get = await Http.GetAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.Created, push.StatusCode);
        Assert.Equal(Content, await get.Content.ReadAsByteArrayAsync());
    }
}

public sealed class BlobDeletionDisabledTests : IDisposable
{
    private readonly WharfApiFactory _factory = new(("Storage:Delete:Enabled", "false"));

    [Fact]
    public async Task Delete_WhenDisabled_Returns405Unsupported()
    {
        var registry = new RegistryClient(_factory.CreateClient());
        var digest = await registry.PushBlobAsync("team/app", "kept");
        var (_, manifestDigest) = await registry.PushImageAsync("team/app", "v1");

        using var blob = await registry.Http.DeleteAsync($"/v2/team/app/blobs/{digest}");
        using var manifest = await registry.Http.DeleteAsync($"/v2/team/app/manifests/{manifestDigest}");
        using var still = await registry.Http.GetAsync($"/v2/team/app/blobs/{digest}");

        await RegistryClient.AssertErrorAsync(blob, HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
        await RegistryClient.AssertErrorAsync(manifest, HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    public void Dispose() => _factory.Dispose();
}
