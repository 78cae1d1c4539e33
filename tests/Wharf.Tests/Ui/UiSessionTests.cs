using System.Net;
using System.Text;
using System.Text.Json;
using Wharf.Tests.Api;
using Wharf.Tests.Auth;

namespace Wharf.Tests.Ui;

/// <summary>Signing in to the web UI with the registry's own users (under the standard access
/// rules, <see cref="AuthSettings.Standard"/>), and what a session cookie does and does not open.</summary>
public sealed class UiSessionTests(HtpasswdRegistryFixture registry) : IClassFixture<HtpasswdRegistryFixture>
{
    private const string SessionPath = "/wharf/ui/api/session";

    private static StringContent Credentials(string user, string password) =>
        new(JsonSerializer.Serialize(new Dictionary<string, string> { ["username"] = user, ["password"] = password }), Encoding.UTF8, "application/json");

    /// <summary>Signs in and returns the session cookie (name=value).</summary>
    private async Task<string> SignInAsync(string user, string password)
    {
        using var client = registry.Anonymous();
        using var response = await client.PostAsync(SessionPath, Credentials(user, password));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single();
        Assert.StartsWith("wharf_session=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(user, document.RootElement.GetProperty("user").GetString());
        return cookie.Split(';')[0];
    }

    private async Task<HttpResponseMessage> GetWithCookieAsync(string path, string cookie)
    {
        using var client = registry.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request);
    }

    private static async Task<List<string>> RepositoryNamesAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. document.RootElement.GetProperty("repositories").EnumerateArray().Select(e => e.GetProperty("name").GetString()!)];
    }

    [Fact]
    public async Task Session_Anonymous_OffersSignInAndNamesNoUser()
    {
        using var client = registry.Anonymous();
        using var response = await client.GetAsync(SessionPath);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("htpasswd", document.RootElement.GetProperty("auth").GetString());
        Assert.True(document.RootElement.GetProperty("signIn").GetBoolean());
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("user").ValueKind);
    }

    [Fact]
    public async Task SignIn_WrongPassword_Is401WithoutAChallengeThatWouldOpenTheBrowsersDialog()
    {
        using var client = registry.Anonymous();
        using var response = await client.PostAsync(SessionPath, Credentials(TestUsers.Alice, "wrong"));

        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.False(response.Headers.Contains("WWW-Authenticate"));
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task SignIn_FormPost_IsRefusedSoNoOtherSiteCanSignABrowserIn()
    {
        using var client = registry.Anonymous();
        using var form = new FormUrlEncodedContent([new("username", TestUsers.Alice), new("password", TestUsers.AlicePassword)]);
        using var response = await client.PostAsync(SessionPath, form);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task SessionCookie_ListsWhatTheUserMayPullInTheUiButOpensNothingInTheRegistryApi()
    {
        var id = $"ui{Guid.NewGuid():N}";
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        foreach (var repository in new[] { $"public/{id}", $"other/{id}", $"team/{id}" })
        {
            await Push.ImageAsync(bob, repository);
        }
        var cookie = await SignInAsync(TestUsers.Alice, TestUsers.AlicePassword);

        using (var session = await GetWithCookieAsync(SessionPath, cookie))
        {
            using var document = JsonDocument.Parse(await session.Content.ReadAsStringAsync());
            Assert.Equal(TestUsers.Alice, document.RootElement.GetProperty("user").GetString());
        }
        using (var listing = await GetWithCookieAsync($"/wharf/ui/api/repositories?filter={id}", cookie))
        {
            Assert.Equal([$"public/{id}", $"team/{id}"], await RepositoryNamesAsync(listing));
        }
        using (var tags = await GetWithCookieAsync($"/wharf/ui/api/tags?repository=other/{id}", cookie))
        {
            await RegistryClient.AssertErrorAsync(tags, HttpStatusCode.Forbidden, "DENIED");
        }
        // The cookie is the UI's alone: the registry API still wants credentials.
        using var manifest = await GetWithCookieAsync($"/v2/team/{id}/manifests/v1", cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, manifest.StatusCode);
    }

    [Fact]
    public async Task SessionCookie_ForgedOrSignedOut_IsAnonymous()
    {
        var id = $"ui{Guid.NewGuid():N}";
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        await Push.ImageAsync(bob, $"public/{id}");
        await Push.ImageAsync(bob, $"team/{id}");
        var cookie = await SignInAsync(TestUsers.Alice, TestUsers.AlicePassword);
        var parts = cookie.Split('.');
        // Bob's name in Alice's token: the signature no longer matches.
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes(
            Encoding.UTF8.GetString(Base64Url(parts[1])).Replace(TestUsers.Alice, TestUsers.Bob, StringComparison.Ordinal))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var forged = $"{parts[0]}.{payload}.{parts[2]}";

        using (var listing = await GetWithCookieAsync($"/wharf/ui/api/repositories?filter={id}", forged))
        {
            Assert.Equal([$"public/{id}"], await RepositoryNamesAsync(listing));
        }
        using (var listing = await GetWithCookieAsync($"/wharf/ui/api/repositories?filter={id}", "wharf_session=not-a-token"))
        {
            Assert.Equal([$"public/{id}"], await RepositoryNamesAsync(listing));
        }

        using var client = registry.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Delete, SessionPath);
        request.Headers.Add("Cookie", cookie);
        using var signOut = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        Assert.Contains(signOut.Headers.GetValues("Set-Cookie"), c => c.StartsWith("wharf_session=;", StringComparison.Ordinal) && c.Contains("expires=", StringComparison.OrdinalIgnoreCase));
    }

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
    }

    [Fact]
    public async Task Delete_ReadOnlyUser_MayNotDeleteAndTheTagStays()
    {
        var repository = $"team/ui{Guid.NewGuid():N}";
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        await Push.ImageAsync(bob, repository);
        // Alice may pull and push in team/*, but not delete.
        var alice = await SignInAsync(TestUsers.Alice, TestUsers.AlicePassword);
        var admin = await SignInAsync(TestUsers.Bob, TestUsers.BobPassword);

        using (var page = await GetWithCookieAsync($"/wharf/ui/api/manifest?repository={repository}&reference=v1", alice))
        {
            using var document = JsonDocument.Parse(await page.Content.ReadAsStringAsync());
            Assert.False(document.RootElement.GetProperty("mayDelete").GetBoolean());
        }
        using var client = registry.Anonymous();
        using (var request = new HttpRequestMessage(HttpMethod.Delete, $"/wharf/ui/api/manifest?repository={repository}&reference=v1"))
        {
            request.Headers.Add("Cookie", alice);
            using var refused = await client.SendAsync(request);
            await RegistryClient.AssertErrorAsync(refused, HttpStatusCode.Forbidden, "DENIED");
        }
        using (var page = await GetWithCookieAsync($"/wharf/ui/api/manifest?repository={repository}&reference=v1", admin))
        {
            using var document = JsonDocument.Parse(await page.Content.ReadAsStringAsync());
            Assert.True(document.RootElement.GetProperty("mayDelete").GetBoolean());
        }
        using (var request = new HttpRequestMessage(HttpMethod.Delete, $"/wharf/ui/api/manifest?repository={repository}&reference=v1"))
        {
            request.Headers.Add("Cookie", admin);
            using var deleted = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        }
    }

    [Fact]
    public async Task Tags_AnonymousOnPrivateRepository_Is401WithoutChallenge()
    {
        var repository = $"team/ui{Guid.NewGuid():N}";
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        await Push.ImageAsync(bob, repository);

        using var client = registry.Anonymous();
        using var response = await client.GetAsync($"/wharf/ui/api/tags?repository={repository}");

        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.False(response.Headers.Contains("WWW-Authenticate"));
    }
}
