using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Distribution;
using Wharf.Metadata;

namespace Wharf.Tests.Api;

/// <summary>The catalog with thousands of repositories, walked page by page through Link headers.</summary>
public sealed class CatalogScaleTests : IDisposable
{
    private readonly WharfApiFactory _factory = new();

    [Fact]
    public async Task Catalog_ThousandsOfRepositories_WalkWithNReturnsEachOnceInOrder()
    {
        var http = _factory.CreateClient();
        var store = _factory.Services.GetRequiredService<IMetadataStore>();
        var digest = Digest.Parse(RegistryClient.DigestOf("shared layer"));
        var expected = Enumerable.Range(0, 2500).Select(i => $"org{i % 7}/app-{i:D5}").Order(StringComparer.Ordinal).ToList();
        foreach (var name in expected)
        {
            await store.LinkBlobAsync(RepositoryName.Parse(name), digest, 12, CancellationToken.None);
        }

        var seen = new List<string>();
        string? url = "/v2/_catalog?n=100";
        while (url is not null)
        {
            using var response = await http.GetAsync(url);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            seen.AddRange(body.RootElement.GetProperty("repositories").EnumerateArray().Select(r => r.GetString()!));
            url = response.Headers.TryGetValues("Link", out var link) ? link.Single().Split('<', '>')[1] : null;
        }

        Assert.Equal(expected, seen);
    }

    public void Dispose() => _factory.Dispose();
}
