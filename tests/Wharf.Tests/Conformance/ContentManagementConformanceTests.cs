using System.Net;
using System.Text.Json;
using Wharf.Tests.Api;

namespace Wharf.Tests.Conformance;

/// <summary>
/// OCI Distribution Specification v1.1, "Content Management": deleting tags, manifests and blobs,
/// and what a registry with deletion disabled answers. Deletion is on by default in Wharf; the
/// disabled case runs against a second registry with <c>Storage:Delete:Enabled=false</c>.
/// </summary>
[Trait("Category", "Conformance")]
[Trait("Section", "Content Management")]
public sealed class ContentManagementConformanceTests : ConformanceTestBase, IClassFixture<DeletionDisabledRegistry>
{
    private readonly RegistryClient _deletionDisabled;

    public ContentManagementConformanceTests(WharfApiFactory factory, DeletionDisabledRegistry deletionDisabled)
        : base(factory) => _deletionDisabled = new RegistryClient(deletionDisabled.Factory.CreateClient());

    // ---- Deleting tags ------------------------------------------------------------------------

    [Fact]
    [Trait("Requirement", "Content Management / Deleting tags [MUST]: DELETE /v2/<name>/manifests/<tag> answers 202 Accepted")]
    public async Task Management_DeleteTag_MustReturn202()
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "v1");

        using var response = await DeleteAsync($"/v2/{repository}/manifests/v1");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Content Management / Deleting tags: once a tag is deleted, GET /v2/<name>/manifests/<tag> answers 404")]
    public async Task Management_DeletedTag_GetMustReturn404()
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "v1");
        using (var delete = await DeleteAsync($"/v2/{repository}/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        using var get = await GetAsync($"/v2/{repository}/manifests/v1");
        using var head = await HeadAsync($"/v2/{repository}/manifests/v1");

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Content Management / Deleting tags [MUST]: with tag deletion disabled, DELETE of a tag answers 400 Bad Request or 405 Method Not Allowed")]
    public async Task Management_DeleteTagWhenDisabled_MustReturn400Or405()
    {
        var repository = NewRepository();
        await _deletionDisabled.PushImageAsync(repository, "v1");

        using var response = await _deletionDisabled.Http.DeleteAsync($"/v2/{repository}/manifests/v1");

        AssertDeletionRefused(response);
        await SpecErrors.ValidateAsync(response);
        using var get = await _deletionDisabled.Http.GetAsync($"/v2/{repository}/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    // ---- Deleting manifests -------------------------------------------------------------------

    [Fact]
    [Trait("Requirement", "Content Management / Deleting manifests [MUST]: DELETE /v2/<name>/manifests/<digest> answers 202 Accepted")]
    public async Task Management_DeleteManifestByDigest_MustReturn202()
    {
        var repository = NewRepository();
        var (_, digest) = await PushImageAsync(repository, "v1");

        using var response = await DeleteAsync($"/v2/{repository}/manifests/{digest}");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Content Management / Deleting manifests: once deleted, GET /v2/<name>/manifests/<digest> answers 404")]
    public async Task Management_DeletedManifest_GetByDigestMustReturn404()
    {
        var repository = NewRepository();
        var (_, digest) = await PushImageAsync(repository, "v1");
        using (var delete = await DeleteAsync($"/v2/{repository}/manifests/{digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        using var get = await GetAsync($"/v2/{repository}/manifests/{digest}");
        using var head = await HeadAsync($"/v2/{repository}/manifests/{digest}");

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Content Management / Deleting manifests: once deleted, GET of every tag that pointed at the digest answers 404")]
    public async Task Management_DeletedManifest_GetByItsTagsMustReturn404()
    {
        var repository = NewRepository();
        var (json, digest) = await PushImageAsync(repository, "v1");
        using (var put = await PutManifestAsync(repository, "stable", json))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        using (var delete = await DeleteAsync($"/v2/{repository}/manifests/{digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        using var v1 = await GetAsync($"/v2/{repository}/manifests/v1");
        using var stable = await GetAsync($"/v2/{repository}/manifests/stable");

        Assert.Equal(HttpStatusCode.NotFound, v1.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, stable.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Content Management / Deleting manifests (conformance suite): the tag list no longer shows tags of a deleted manifest")]
    public async Task Management_DeletedManifest_TagListMustNoLongerShowItsTags()
    {
        var repository = NewRepository();
        var (_, deleted) = await PushImageAsync(repository, "gone");
        await PushImageAsync(repository, "kept", seed: "kept");
        using (var delete = await DeleteAsync($"/v2/{repository}/manifests/{deleted}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        using var response = await GetAsync($"/v2/{repository}/tags/list");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(["kept"], document.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    [Trait("Requirement", "Content Management / Deleting manifests [MUST]: DELETE of a manifest in a repository that does not exist answers 404 Not Found")]
    public async Task Management_DeleteManifestInUnknownRepository_MustReturn404()
    {
        using var response = await DeleteAsync($"/v2/{NewRepository("never-pushed")}/manifests/{Sha256("x")}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await SpecErrors.ValidateAsync(response);
    }

    [Theory]
    [InlineData("digest")]
    [InlineData("tag")]
    [Trait("Requirement", "Content Management / Deleting manifests [end-9 failure 404]: DELETE of a manifest or tag the repository does not hold answers 404")]
    public async Task Management_DeleteUnknownManifest_MustReturn404(string by)
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "v1");

        using var response = await DeleteAsync($"/v2/{repository}/manifests/{(by == "tag" ? "missing" : Sha256("missing"))}");

        await SpecErrors.AssertAsync(response, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    [Trait("Requirement", "Content Management / Deleting manifests [MUST]: with manifest deletion disabled, DELETE by digest answers 400 Bad Request or 405 Method Not Allowed")]
    public async Task Management_DeleteManifestWhenDisabled_MustReturn400Or405()
    {
        var repository = NewRepository();
        var (_, digest) = await _deletionDisabled.PushImageAsync(repository, "v1");

        using var response = await _deletionDisabled.Http.DeleteAsync($"/v2/{repository}/manifests/{digest}");

        AssertDeletionRefused(response);
        await SpecErrors.ValidateAsync(response);
        using var get = await _deletionDisabled.Http.GetAsync($"/v2/{repository}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Content Management / Deleting manifests + Listing referrers: a deleted referrer no longer appears in its subject's referrers list")]
    public async Task Management_DeletedReferrer_MustDisappearFromReferrersList()
    {
        var repository = NewRepository();
        var (_, subject) = await PushImageAsync(repository, "v1");
        var (_, deleted) = await PushReferrerAsync(repository, subject, "application/vnd.example.sbom.v1", seed: "deleted");
        var (_, kept) = await PushReferrerAsync(repository, subject, "application/vnd.example.sbom.v1", seed: "kept");
        using (var delete = await DeleteAsync($"/v2/{repository}/manifests/{deleted}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        using var response = await GetAsync($"/v2/{repository}/referrers/{subject}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var digests = document.RootElement.GetProperty("manifests").EnumerateArray().Select(d => d.GetProperty("digest").GetString()).ToList();
        Assert.Equal([kept], digests);
    }

    // ---- Deleting blobs -----------------------------------------------------------------------

    [Fact]
    [Trait("Requirement", "Content Management / Deleting blobs [MUST]: DELETE /v2/<name>/blobs/<digest> answers 202 Accepted")]
    public async Task Management_DeleteBlob_MustReturn202()
    {
        var repository = NewRepository();
        var digest = await PushBlobAsync(repository, RandomBytes(256));

        using var response = await DeleteAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Content Management / Deleting blobs (conformance suite): once deleted, GET and HEAD of the blob answer 404")]
    public async Task Management_DeletedBlob_GetMustReturn404()
    {
        var repository = NewRepository();
        var digest = await PushBlobAsync(repository, RandomBytes(256));
        using (var delete = await DeleteAsync($"/v2/{repository}/blobs/{digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        using var get = await GetAsync($"/v2/{repository}/blobs/{digest}");
        using var head = await HeadAsync($"/v2/{repository}/blobs/{digest}");

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Content Management / Deleting blobs [MUST]: DELETE of a blob the repository does not hold answers 404 Not Found")]
    public async Task Management_DeleteUnknownBlob_MustReturn404()
    {
        var repository = NewRepository();
        await PushBlobAsync(repository, RandomBytes(16));

        using var response = await DeleteAsync($"/v2/{repository}/blobs/{Sha256("never pushed")}");

        await SpecErrors.AssertAsync(response, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    [Trait("Requirement", "Content Management / Deleting blobs [MUST]: with blob deletion disabled, DELETE of a blob answers 400 Bad Request or 405 Method Not Allowed")]
    public async Task Management_DeleteBlobWhenDisabled_MustReturn400Or405()
    {
        var repository = NewRepository();
        var blob = RandomBytes(64);
        var digest = await _deletionDisabled.PushBlobAsync(repository, blob);

        using var response = await _deletionDisabled.Http.DeleteAsync($"/v2/{repository}/blobs/{digest}");

        AssertDeletionRefused(response);
        await SpecErrors.ValidateAsync(response);
        using var get = await _deletionDisabled.Http.GetAsync($"/v2/{repository}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    private static void AssertDeletionRefused(HttpResponseMessage response) =>
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.MethodNotAllowed,
            $"expected 400 or 405 with deletion disabled, got {(int)response.StatusCode}");
}
