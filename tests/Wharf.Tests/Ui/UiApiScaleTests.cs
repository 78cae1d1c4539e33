using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Tests.Api;

namespace Wharf.Tests.Ui;

/// <summary>The UI's repository list over thousands of repositories, walked through Link headers.</summary>
public sealed class UiApiScaleTests : IDisposable
{
    private readonly WharfApiFactory _factory = new();

    [Fact]
    public async Task Repositories_ThousandsFilteredAndPaged_EachOnceInOrder()
    {
        var http = _factory.CreateClient();
        var store = _factory.Services.GetRequiredService<IMetadataStore>();
        var digest = Digest.Parse(RegistryClient.DigestOf("shared layer"));
        var all = Enumerable.Range(0, 2500).Select(i => $"org{i % 7}/app-{i:D5}").Order(StringComparer.Ordinal).ToList();
        foreach (var name in all)
        {
            await store.LinkBlobAsync(RepositoryName.Parse(name), digest, 12, CancellationToken.None);
        }

        Assert.Equal(all, await WalkAsync(http, "/wharf/ui/api/repositories?n=1000"));
        Assert.Equal([.. all.Where(n => n.Contains("3/app-0", StringComparison.Ordinal))],
            await WalkAsync(http, "/wharf/ui/api/repositories?filter=3/APP-0&n=7"));
    }

    private static async Task<List<string>> WalkAsync(HttpClient http, string? url)
    {
        var seen = new List<string>();
        for (var pages = 0; url is not null && pages < 1000; pages++)
        {
            using var response = await http.GetAsync(url);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            foreach (var repository in body.RootElement.GetProperty("repositories").EnumerateArray())
            {
                Assert.Equal(12, repository.GetProperty("size").GetInt64());
                seen.Add(repository.GetProperty("name").GetString()!);
            }
            url = response.Headers.TryGetValues("Link", out var link) ? link.Single().Split('<', '>')[1] : null;
        }
        return seen;
    }

    public void Dispose() => _factory.Dispose();
}
