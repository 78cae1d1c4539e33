using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Wharf.Tests.Api;

public sealed class UploadApiTests(WharfApiFactory factory) : ApiTestBase(factory)
{
    private static readonly byte[] Blob = Encoding.UTF8.GetBytes("the quick brown fox jumps over the lazy dog");

    private async Task<string> StartAsync(string repository)
    {
        using var response = await Http.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return response.Headers.Location!.OriginalString;
    }

    private static HttpRequestMessage Patch(string location, byte[] bytes, int offset, int count, bool withRange = true)
    {
        var content = new ByteArrayContent(bytes, offset, count);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = content };
        if (withRange)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + count - 1}");
        }
        return request;
    }

    private static string WithDigest(string location, string digest) => $"{location}{(location.Contains('?') ? '&' : '?')}digest={digest}";

    [Fact]
    public async Task Post_NoParameters_Returns202WithLocationUuidAndRange()
    {
        var repository = NewRepository();
        using var response = await Http.PostAsync($"/v2/{repository}/blobs/uploads/", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var uuid = response.Headers.GetValues("Docker-Upload-UUID").Single();
        Assert.Equal($"/v2/{repository}/blobs/uploads/{uuid}", response.Headers.Location!.OriginalString);
        Assert.Equal("0-0", response.Headers.GetValues("Range").Single());
    }

    [Fact]
    public async Task Post_WithDigest_Returns201Monolithic()
    {
        var repository = NewRepository();
        var digest = RegistryClient.DigestOf(Blob);
        using var response = await Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", new ByteArrayContent(Blob));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/v2/{repository}/blobs/{digest}", response.Headers.Location!.OriginalString);
        Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Fact]
    public async Task Post_WithWrongDigest_Returns400AndStoresNothing()
    {
        var repository = NewRepository();
        var wrong = RegistryClient.DigestOf("something else");
        using var response = await Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={wrong}", new ByteArrayContent(Blob));
        using var head = await Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/blobs/{wrong}"));

        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        var blobFile = Path.Combine(Factory.StorageRoot, "docker/registry/v2/blobs/sha256", wrong[7..9], wrong[7..], "data");
        Assert.False(File.Exists(blobFile));
    }

    [Fact]
    public async Task PatchStreamed_ThenPut_Returns201AndBlobIsReadable()
    {
        var repository = NewRepository();
        var location = await StartAsync(repository);

        using var patch = await Http.SendAsync(Patch(location, Blob, 0, Blob.Length, withRange: false));
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        Assert.Equal($"0-{Blob.Length - 1}", patch.Headers.GetValues("Range").Single());

        var digest = RegistryClient.DigestOf(Blob);
        using var put = await Http.PutAsync(WithDigest(patch.Headers.Location!.OriginalString, digest), null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal($"/v2/{repository}/blobs/{digest}", put.Headers.Location!.OriginalString);
        Assert.Equal(digest, put.Headers.GetValues("Docker-Content-Digest").Single());

        using var get = await Http.GetAsync($"/v2/{repository}/blobs/{digest}");
        Assert.Equal(Blob, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task PatchChunks_ThenPutWithLastChunk_CommitsWholeBlob()
    {
        var repository = NewRepository();
        var location = await StartAsync(repository);

        using var first = await Http.SendAsync(Patch(location, Blob, 0, 10));
        Assert.Equal("0-9", first.Headers.GetValues("Range").Single());
        using var second = await Http.SendAsync(Patch(location, Blob, 10, 10));
        Assert.Equal("0-19", second.Headers.GetValues("Range").Single());

        var digest = RegistryClient.DigestOf(Blob);
        using var last = new ByteArrayContent(Blob, 20, Blob.Length - 20);
        last.Headers.TryAddWithoutValidation("Content-Range", $"20-{Blob.Length - 1}");
        using var put = await Http.PutAsync(WithDigest(location, digest), last);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var get = await Http.GetAsync($"/v2/{repository}/blobs/{digest}");
        Assert.Equal(Blob, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Patch_OutOfOrderChunk_Returns416WithCurrentRange()
    {
        var repository = NewRepository();
        var location = await StartAsync(repository);
        using var first = await Http.SendAsync(Patch(location, Blob, 0, 10));

        using var skipped = await Http.SendAsync(Patch(location, Blob, 15, 5));

        await RegistryClient.AssertErrorAsync(skipped, HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");
        Assert.Equal("0-9", skipped.Headers.GetValues("Range").Single());
        using var status = await Http.GetAsync(location);
        Assert.Equal("0-9", status.Headers.GetValues("Range").Single());
    }

    [Fact]
    public async Task Patch_RepeatedChunk_Returns416()
    {
        var repository = NewRepository();
        var location = await StartAsync(repository);
        using var first = await Http.SendAsync(Patch(location, Blob, 0, 10));
        using var again = await Http.SendAsync(Patch(location, Blob, 0, 10));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, again.StatusCode);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("10-5")]
    [InlineData("-1-5")]
    public async Task Patch_MalformedContentRange_Returns400(string contentRange)
    {
        var repository = NewRepository();
        var location = await StartAsync(repository);
        using var request = Patch(location, Blob, 0, 5, withRange: false);
        request.Content!.Headers.TryAddWithoutValidation("Content-Range", contentRange);

        using var response = await Http.SendAsync(request);

        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "BLOB_UPLOAD_INVALID");
    }

    [Fact]
    public async Task Patch_ContentRangeDisagreeingWithLength_Returns400AndKeepsNothing()
    {
        var repository = NewRepository();
        var location = await StartAsync(repository);
        using var request = Patch(location, Blob, 0, 5, withRange: false);
        request.Content!.Headers.TryAddWithoutValidation("Content-Range", "0-9");

        using var response = await Http.SendAsync(request);
        using var status = await Http.GetAsync(location);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("0-0", status.Headers.GetValues("Range").Single());
    }

    [Fact]
    public async Task Get_Session_Returns204WithRange()
    {
        var repository = NewRepository();
        var location = await StartAsync(repository);
        using var patch = await Http.SendAsync(Patch(location, Blob, 0, 7));

        using var status = await Http.GetAsync(location);

        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.Equal("0-6", status.Headers.GetValues("Range").Single());
        Assert.Equal(location, status.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Put_WrongDigest_Returns400DigestInvalid()
    {
        var repository = NewRepository();
        var location = await StartAsync(repository);
        using var patch = await Http.SendAsync(Patch(location, Blob, 0, Blob.Length));

        using var put = await Http.PutAsync(WithDigest(location, RegistryClient.DigestOf("other")), null);

        await RegistryClient.AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task Put_WithoutDigest_Returns400DigestInvalid()
    {
        var location = await StartAsync(NewRepository());
        using var put = await Http.PutAsync(location, null);
        await RegistryClient.AssertErrorAsync(put, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task Delete_Session_Returns204AndSessionIsGone()
    {
        var repository = NewRepository();
        var location = await StartAsync(repository);
        using var patch = await Http.SendAsync(Patch(location, Blob, 0, 5));

        using var delete = await Http.DeleteAsync(location);
        using var status = await Http.GetAsync(location);

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        await RegistryClient.AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        var uuid = location[(location.LastIndexOf('/') + 1)..];
        Assert.False(Directory.Exists(Path.Combine(Factory.StorageRoot, "docker/registry/v2/repositories", repository, "_uploads", uuid)));
    }

    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    [InlineData("not-a-uuid")]
    [InlineData("..%2F..%2F..%2Fetc")]
    [InlineData("AAAAAAAA-0000-0000-0000-000000000000")]
    public async Task AnyMethod_UnknownSession_Returns404BlobUploadUnknown(string id)
    {
        var repository = NewRepository();
        using var get = await Http.GetAsync($"/v2/{repository}/blobs/uploads/{id}");
        using var patch = await Http.PatchAsync($"/v2/{repository}/blobs/uploads/{id}", new ByteArrayContent(Blob));
        using var put = await Http.PutAsync($"/v2/{repository}/blobs/uploads/{id}?digest={RegistryClient.DigestOf(Blob)}", new ByteArrayContent(Blob));
        using var delete = await Http.DeleteAsync($"/v2/{repository}/blobs/uploads/{id}");

        foreach (var response in new[] { get, patch, put, delete })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        await RegistryClient.AssertErrorAsync(get, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    public async Task Patch_SessionOfAnotherRepository_Returns404()
    {
        var location = await StartAsync(NewRepository());
        var uuid = location[(location.LastIndexOf('/') + 1)..];
        using var response = await Http.SendAsync(Patch($"/v2/{NewRepository()}/blobs/uploads/{uuid}", Blob, 0, 5));
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [Fact]
    public async Task PostMount_FromRepositoryWithBlob_Returns201AndLinks()
    {
        var source = NewRepository();
        var target = NewRepository();
        var digest = await Registry.PushBlobAsync(source, Blob);

        using var mount = await Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={source}", null);
        using var get = await Http.GetAsync($"/v2/{target}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        Assert.Equal($"/v2/{target}/blobs/{digest}", mount.Headers.Location!.OriginalString);
        Assert.Equal(digest, mount.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(Blob, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task PostMount_WithoutFrom_MountsAnyCopyTheRegistryHolds()
    {
        var digest = await Registry.PushBlobAsync(NewRepository(), Blob);
        var target = NewRepository();

        using var mount = await Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}", null);
        using var get = await Http.GetAsync($"/v2/{target}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        Assert.Equal(Blob, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task PostMount_WithoutFromUnknownBlob_FallsBackTo202Session()
    {
        using var mount = await Http.PostAsync($"/v2/{NewRepository()}/blobs/uploads/?mount={RegistryClient.DigestOf("never pushed anywhere")}", null);
        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
    }

    [Fact]
    public async Task PostMount_FromRepositoryWithoutBlob_FallsBackTo202Session()
    {
        var digest = RegistryClient.DigestOf("never pushed");
        using var mount = await Http.PostAsync($"/v2/{NewRepository()}/blobs/uploads/?mount={digest}&from={NewRepository()}", null);

        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        Assert.NotNull(mount.Headers.Location);
    }

    [Fact]
    public async Task Push_SameBlobConcurrently_AllSucceedAndOneCopyIsStored()
    {
        var repository = NewRepository();
        var bytes = Encoding.UTF8.GetBytes(new string('z', 100_000));
        var digest = RegistryClient.DigestOf(bytes);

        var pushes = Enumerable.Range(0, 16).Select(async _ =>
        {
            using var response = await Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", new ByteArrayContent(bytes));
            return response.StatusCode;
        });
        var statuses = await Task.WhenAll(pushes);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Created, s));
        using var get = await Http.GetAsync($"/v2/{repository}/blobs/{digest}");
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync());
        var uploads = Path.Combine(Factory.StorageRoot, "docker/registry/v2/repositories", repository, "_uploads");
        Assert.Empty(Directory.Exists(uploads) ? Directory.GetFileSystemEntries(uploads) : []);
    }
}
