using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Wharf.Tests.Auth;

namespace Wharf.Tests.Ui;

/// <summary>Signing in to the web UI when the registry runs its built-in token service: the same
/// users and rules, and a session that is not a registry token.</summary>
public sealed class UiSessionTokenModeTests(TokenRegistryFixture registry) : IClassFixture<TokenRegistryFixture>
{
    [Fact]
    public async Task SignIn_TokenMode_ShowsTheUsersRepositoriesAndTheCookieIsNoBearerToken()
    {
        var id = $"ui{Guid.NewGuid():N}";
        foreach (var repository in new[] { $"public/{id}", $"other/{id}", $"team/{id}" })
        {
            using var bob = registry.WithBearer(await registry.TokenAsync(TestUsers.Bob, TestUsers.BobPassword, $"repository:{repository}:pull,push"));
            await Push.ImageAsync(bob, repository);
        }

        using var client = registry.Anonymous();
        using var signIn = await client.PostAsync("/wharf/ui/api/session", new StringContent(
            $$"""{"username":"{{TestUsers.Alice}}","password":"{{TestUsers.AlicePassword}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        using (var described = JsonDocument.Parse(await signIn.Content.ReadAsStringAsync()))
        {
            Assert.Equal("token", described.RootElement.GetProperty("auth").GetString());
        }
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single().Split(';')[0];

        using var listing = new HttpRequestMessage(HttpMethod.Get, $"/wharf/ui/api/repositories?filter={id}");
        listing.Headers.Add("Cookie", cookie);
        using var listed = await registry.Anonymous().SendAsync(listing);
        using var document = JsonDocument.Parse(await listed.Content.ReadAsStringAsync());
        Assert.Equal([$"public/{id}", $"team/{id}"], document.RootElement.GetProperty("repositories").EnumerateArray().Select(r => r.GetProperty("name").GetString()));

        // Signed for the UI's own audience: the registry API refuses it as a bearer token.
        using var asBearer = new HttpRequestMessage(HttpMethod.Get, $"/v2/team/{id}/tags/list");
        asBearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", cookie["wharf_session=".Length..]);
        using var refused = await registry.Anonymous().SendAsync(asBearer);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
