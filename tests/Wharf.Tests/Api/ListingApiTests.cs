using System.Net;
using System.Text.Json;

namespace Wharf.Tests.Api;

public sealed class ListingApiTests(WharfApiFactory factory) : ApiTestBase(factory)
{
    private static string[] Tags(string json) =>
        JsonDocument.Parse(json).RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray();

    [Fact]
    public async Task TagsList_Repository_ReturnsNameAndSortedTags()
    {
        var repository = NewRepository();
        var (json, _) = await Registry.PushImageAsync(repository, "b");
        foreach (var tag in new[] { "a", "C", "1.0" })
        {
            using var _ = await Registry.PutManifestAsync(repository, tag, json, Manifests.OciManifestType);
        }

        var body = await Http.GetStringAsync($"/v2/{repository}/tags/list");

        using var document = JsonDocument.Parse(body);
        Assert.Equal(repository, document.RootElement.GetProperty("name").GetString());
        Assert.Equal(["1.0", "C", "a", "b"], Tags(body));
    }

    [Theory]
    [InlineData("tags/list")]
    [InlineData("tags/list?n=1")]
    [InlineData("catalog")]
    [InlineData("referrers")]
    public async Task Listing_Always_AnswersWithItsContentLength(string listing)
    {
        // A length, not a chunked body: clients learn it, and the request log counts the bytes sent.
        var repository = NewRepository();
        var (json, digest) = await Registry.PushImageAsync(repository, "v1");
        using var _ = await Registry.PutManifestAsync(repository, "v2", json, Manifests.OciManifestType);
        var path = listing switch
        {
            "catalog" => "/v2/_catalog",
            "referrers" => $"/v2/{repository}/referrers/{digest}",
            _ => $"/v2/{repository}/{listing}",
        };

        using var response = await Http.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body.Length > 2);
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        using var document = JsonDocument.Parse(body);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
    }

    [Fact]
    public async Task TagsList_UnknownRepository_Returns404NameUnknown()
    {
        using var response = await Http.GetAsync($"/v2/{NewRepository()}/tags/list");
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }

    [Fact]
    public async Task TagsList_WithN_PagesThroughLinkHeaders()
    {
        var repository = NewRepository();
        var (json, _) = await Registry.PushImageAsync(repository, "t0");
        for (var i = 1; i < 5; i++)
        {
            using var _ = await Registry.PutManifestAsync(repository, $"t{i}", json, Manifests.OciManifestType);
        }

        var seen = new List<string>();
        var url = $"/v2/{repository}/tags/list?n=2";
        var pages = 0;
        while (url is not null)
        {
            using var response = await Http.GetAsync(url);
            seen.AddRange(Tags(await response.Content.ReadAsStringAsync()));
            url = response.Headers.TryGetValues("Link", out var link) ? link.Single().Split('<', '>')[1] : null;
            pages++;
        }

        Assert.Equal(["t0", "t1", "t2", "t3", "t4"], seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task TagsList_WithLast_StartsAfterIt()
    {
        var repository = NewRepository();
        var (json, _) = await Registry.PushImageAsync(repository, "a");
        using var b = await Registry.PutManifestAsync(repository, "b", json, Manifests.OciManifestType);
        using var c = await Registry.PutManifestAsync(repository, "c", json, Manifests.OciManifestType);

        var body = await Http.GetStringAsync($"/v2/{repository}/tags/list?last=a");

        Assert.Equal(["b", "c"], Tags(body));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("99999999999999")]
    public async Task TagsList_InvalidN_Returns400(string n)
    {
        var repository = NewRepository();
        await Registry.PushImageAsync(repository, "a");
        using var response = await Http.GetAsync($"/v2/{repository}/tags/list?n={n}");
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "UNSUPPORTED");
    }

    [Fact]
    public async Task Catalog_Always_ListsRepositoriesSorted()
    {
        var prefix = $"cat{Guid.NewGuid():N}";
        foreach (var name in new[] { "zeta", "alpha/one", "alpha" })
        {
            await Registry.PushBlobAsync($"{prefix}/{name}", "x");
        }

        var body = await Http.GetStringAsync("/v2/_catalog");
        var repositories = JsonDocument.Parse(body).RootElement.GetProperty("repositories").EnumerateArray().Select(r => r.GetString()!).ToList();

        var ours = repositories.Where(r => r.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        Assert.Equal([$"{prefix}/alpha", $"{prefix}/alpha/one", $"{prefix}/zeta"], ours);
        Assert.Equal(repositories.Order(StringComparer.Ordinal), repositories);
    }

    [Fact]
    public async Task Catalog_WithN_ReturnsLinkToNextPage()
    {
        await Registry.PushBlobAsync(NewRepository("page"), "x");
        await Registry.PushBlobAsync(NewRepository("page"), "x");

        using var response = await Http.GetAsync("/v2/_catalog?n=1");

        var repositories = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("repositories");
        Assert.Equal(1, repositories.GetArrayLength());
        var link = response.Headers.GetValues("Link").Single();
        Assert.StartsWith("</v2/_catalog?n=1&last=", link, StringComparison.Ordinal);
        Assert.EndsWith(">; rel=\"next\"", link, StringComparison.Ordinal);
    }
}
