using System.Net;
using System.Text.Json;
using Wharf.Tests.Api;
using Wharf.Tests.Auth;

namespace Wharf.Tests.Ui;

/// <summary>The web UI's JSON API under the standard access rules (see
/// <see cref="AuthSettings.Standard"/>): it shows a caller exactly what the caller may pull.</summary>
public sealed class UiApiAuthTests(HtpasswdRegistryFixture registry) : IClassFixture<HtpasswdRegistryFixture>
{
    private static async Task<List<string>> RepositoriesAsync(HttpClient client, string filter)
    {
        using var response = await client.GetAsync($"/wharf/ui/api/repositories?filter={filter}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. document.RootElement.GetProperty("repositories").EnumerateArray().Select(e => e.GetProperty("name").GetString()!)];
    }

    [Fact]
    public async Task Repositories_EachCaller_SeesOnlyWhatItMayPull()
    {
        var id = $"ui{Guid.NewGuid():N}";
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        foreach (var repository in new[] { $"public/{id}", $"other/{id}", $"team/{id}" })
        {
            await Push.ImageAsync(bob, repository);
        }
        using var anonymous = registry.Anonymous();
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);
        using var dave = registry.As(TestUsers.Dave, TestUsers.DavePassword);

        Assert.Equal([$"public/{id}"], await RepositoriesAsync(anonymous, id));
        Assert.Equal([$"public/{id}"], await RepositoriesAsync(dave, id));
        Assert.Equal([$"public/{id}", $"team/{id}"], await RepositoriesAsync(alice, id));
        Assert.Equal([$"other/{id}", $"public/{id}", $"team/{id}"], await RepositoriesAsync(bob, id));
    }

    [Fact]
    public async Task Repositories_PagesForNonAdmin_SkipHiddenRepositories()
    {
        var id = $"ui{Guid.NewGuid():N}";
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        foreach (var repository in new[] { $"public/{id}", $"other/{id}a", $"other/{id}b", $"team/{id}" })
        {
            await Push.ImageAsync(bob, repository);
        }
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);

        var seen = new List<string>();
        var next = $"/wharf/ui/api/repositories?filter={id}&n=1";
        for (var pages = 0; next is not null && pages < 10; pages++)
        {
            using var response = await alice.GetAsync(next);
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var items = document.RootElement.GetProperty("repositories").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();
            Assert.True(items.Count <= 1);
            seen.AddRange(items);
            next = response.Headers.TryGetValues("Link", out var link) ? link.Single().Split(';')[0].Trim('<', '>') : null;
        }

        Assert.Equal([$"public/{id}", $"team/{id}"], seen);
    }

    [Fact]
    public async Task Tags_NeedPullOnTheRepository()
    {
        var id = $"ui{Guid.NewGuid():N}";
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        await Push.ImageAsync(bob, $"team/{id}");
        await Push.ImageAsync(bob, $"other/{id}");
        using var anonymous = registry.Anonymous();
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);

        using var allowed = await alice.GetAsync($"/wharf/ui/api/tags?repository=team/{id}");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        using var denied = await alice.GetAsync($"/wharf/ui/api/tags?repository=other/{id}");
        await RegistryClient.AssertErrorAsync(denied, HttpStatusCode.Forbidden, "DENIED");
        using var signIn = await anonymous.GetAsync($"/wharf/ui/api/tags?repository=team/{id}");
        await RegistryClient.AssertErrorAsync(signIn, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        // An unknown repository the caller may not pull looks like a forbidden one, not a 404.
        using var unknown = await alice.GetAsync($"/wharf/ui/api/tags?repository=other/none{id}");
        await RegistryClient.AssertErrorAsync(unknown, HttpStatusCode.Forbidden, "DENIED");
    }
}
