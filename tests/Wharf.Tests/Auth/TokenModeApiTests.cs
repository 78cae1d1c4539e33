using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Wharf.Tests.Api;

namespace Wharf.Tests.Auth;

/// <summary>Wharf in token mode with its built-in token service and the standard rules.</summary>
public sealed class TokenRegistryFixture : AuthRegistryFixture
{
    protected override IEnumerable<(string Key, string Value)> Settings(string htpasswd, TempDir directory) =>
        AuthSettings.Standard("token", htpasswd);

    /// <summary>A token from the built-in service for <paramref name="scopes"/>, as the user (null: anonymous).</summary>
    public async Task<string> TokenAsync(string? user, string? password, params string[] scopes)
    {
        using var client = user is null ? Anonymous() : As(user, password!);
        var query = "service=wharf" + string.Concat(scopes.Select(s => "&scope=" + Uri.EscapeDataString(s)));
        using var response = await client.GetAsync($"/auth/token?{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("token").GetString()!;
    }

    public SigningCredentials RegistryKey() => Jwt.RegistryKey(Factory.StorageRoot);
}

/// <summary>The Docker token protocol with Wharf's built-in token service at <c>/auth/token</c>.</summary>
public sealed class TokenModeApiTests(TokenRegistryFixture registry) : IClassFixture<TokenRegistryFixture>
{
    private static string Unique(string prefix) => $"{prefix}/r{Guid.NewGuid():N}";

    [Fact]
    public async Task GetBase_NoToken_Returns401WithBearerChallengeForRequestHost()
    {
        using var client = registry.Anonymous();
        using var response = await client.GetAsync("/v2/");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Bearer realm=\"http://localhost/auth/token\",service=\"wharf\"", ErrorBody.Challenge(response));
    }

    [Fact]
    public async Task GetBase_OtherHost_RealmFollowsTheHost()
    {
        using var client = registry.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/");
        request.Headers.Host = "registry.example.test:5443";
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("http://registry.example.test:5443/auth/token", ErrorBody.ChallengeParameters(ErrorBody.Challenge(response))["realm"]);
    }

    [Fact]
    public async Task GetBase_BasicCredentialsInTokenMode_Returns401BearerChallenge()
    {
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);
        using var response = await alice.GetAsync("/v2/");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.StartsWith("Bearer realm=", ErrorBody.Challenge(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetBase_ValidToken_Returns200()
    {
        var token = await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword);
        using var client = registry.WithBearer(token);

        using var response = await client.GetAsync("/v2/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task GetAuthToken_AliceWithScope_ReturnsTokenGrantingExactlyTheAllowedActions()
    {
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);
        var before = DateTimeOffset.UtcNow.AddSeconds(-2);

        using var response = await alice.GetAsync("/auth/token?service=wharf&scope=repository:team/app:pull,push");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        var token = root.GetProperty("token").GetString()!;
        Assert.Equal(token, root.GetProperty("access_token").GetString());
        Assert.Equal(300, root.GetProperty("expires_in").GetInt32());
        var issuedAt = DateTimeOffset.Parse(root.GetProperty("issued_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(issuedAt, before, DateTimeOffset.UtcNow.AddSeconds(2));

        var header = Jwt.Header(token);
        var payload = Jwt.Payload(token);
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        Assert.Equal("wharf", payload.GetProperty("iss").GetString());
        Assert.Equal("wharf", payload.GetProperty("aud").GetString());
        Assert.Equal("alice", payload.GetProperty("sub").GetString());
        Assert.Equal(300, payload.GetProperty("exp").GetInt64() - payload.GetProperty("iat").GetInt64());
        Assert.Equal([("repository", "team/app", "pull,push")], Jwt.Access(token));
    }

    [Fact]
    public async Task GetAuthToken_MoreThanAllowedRequested_GrantsOnlyAllowedActions()
    {
        var token = await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword,
            "repository:team/app:pull,push,delete", "repository:other/app:pull,push", "repository:public/lib:pull,push", "repository:scratch/x:delete");

        Assert.Equal(
            [("repository", "team/app", "pull,push"), ("repository", "other/app", ""), ("repository", "public/lib", "pull"), ("repository", "scratch/x", "delete")],
            Jwt.Access(token));
    }

    [Fact]
    public async Task GetAuthToken_SeveralScopesInOneParameter_GrantsEach()
    {
        // docker sends one scope parameter per resource; some clients join them with spaces.
        var token = await registry.TokenAsync(TestUsers.Carol, TestUsers.CarolPassword, "repository:team/a:pull repository:team/b:pull,push");

        Assert.Equal([("repository", "team/a", "pull"), ("repository", "team/b", "pull")], Jwt.Access(token));
    }

    [Fact]
    public async Task GetAuthToken_Admin_GrantsEverythingRequested()
    {
        var token = await registry.TokenAsync(TestUsers.Bob, TestUsers.BobPassword, "repository:other/app:pull,push,delete", "registry:catalog:*");

        Assert.Equal([("repository", "other/app", "delete,pull,push"), ("registry", "catalog", "delete,pull,push")], Jwt.Access(token));
    }

    [Theory]
    [InlineData("repository:UPPER/case:pull")]
    [InlineData("repository:../etc:pull")]
    [InlineData("nonsense")]
    [InlineData("repository::pull")]
    [InlineData("registry:catalog:*")]
    public async Task GetAuthToken_InvalidOrAnonymousCatalogScope_GrantsNothing(string scope)
    {
        var token = await registry.TokenAsync(null, null, scope);

        Assert.Empty(Jwt.Access(token));
    }

    [Fact]
    public async Task GetAuthToken_Anonymous_GrantsPullOnAnonymousPullRepositoriesOnly()
    {
        var token = await registry.TokenAsync(null, null,
            "repository:public/lib:pull,push", "repository:public/a/b:pull", "repository:team/app:pull", "repository:other/app:pull");

        Assert.Equal(
            [("repository", "public/lib", "pull"), ("repository", "public/a/b", "pull"), ("repository", "team/app", ""), ("repository", "other/app", "")],
            Jwt.Access(token));
        Assert.Equal("", Jwt.Payload(token).GetProperty("sub").GetString());
    }

    [Theory]
    [InlineData(TestUsers.Alice, "wrong")]
    [InlineData("mallory", "alice-secret")]
    public async Task GetAuthToken_WrongCredentials_Returns401(string user, string password)
    {
        using var client = registry.As(user, password);

        using var response = await client.GetAsync("/auth/token?service=wharf&scope=repository:team/app:pull");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.StartsWith("Basic realm=", ErrorBody.Challenge(response), StringComparison.Ordinal);
        Assert.DoesNotContain("token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAuthToken_OtherService_Returns400()
    {
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);

        using var response = await alice.GetAsync("/auth/token?service=other-registry&scope=repository:team/app:pull");

        await ErrorBody.AssertAsync(response, HttpStatusCode.BadRequest, "UNSUPPORTED");
    }

    [Fact]
    public async Task PostAuthToken_PasswordGrant_ReturnsToken()
    {
        using var client = registry.Anonymous();

        using var response = await client.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = TestUsers.Alice,
            ["password"] = TestUsers.AlicePassword,
            ["service"] = "wharf",
            ["scope"] = "repository:team/app:pull,push repository:other/app:push",
            ["client_id"] = "containerd",
        }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var token = document.RootElement.GetProperty("access_token").GetString()!;
        Assert.Equal([("repository", "team/app", "pull,push"), ("repository", "other/app", "")], Jwt.Access(token));
        Assert.Equal("alice", Jwt.Payload(token).GetProperty("sub").GetString());
    }

    [Fact]
    public async Task PostAuthToken_PasswordGrantWrongPassword_Returns401()
    {
        using var client = registry.Anonymous();

        using var response = await client.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = TestUsers.Alice,
            ["password"] = "wrong",
            ["service"] = "wharf",
        }));

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task PostAuthToken_UnsupportedGrant_Returns400()
    {
        using var client = registry.Anonymous();

        using var response = await client.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = "whatever",
            ["service"] = "wharf",
        }));

        await ErrorBody.AssertAsync(response, HttpStatusCode.BadRequest, "UNSUPPORTED");
    }

    [Fact]
    public async Task PushAndPull_WithGrantedToken_Works()
    {
        var repository = Unique("team");
        var token = await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword, $"repository:{repository}:pull,push");
        using var client = registry.WithBearer(token);

        var (json, _) = await Push.ImageAsync(client, repository);
        using var pull = await client.GetAsync($"/v2/{repository}/manifests/v1");

        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        Assert.Equal(json, await pull.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Push_RepositoryTokenDoesNotGrant_Returns401InsufficientScope()
    {
        var granted = Unique("team");
        var other = Unique("other");
        var token = await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword, $"repository:{granted}:pull,push", $"repository:{other}:pull,push");
        using var client = registry.WithBearer(token);

        using var response = await Push.BlobAsync(client, other, Encoding.UTF8.GetBytes("not allowed"));

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        var challenge = ErrorBody.ChallengeParameters(ErrorBody.Challenge(response));
        Assert.Equal("Bearer", challenge["scheme"]);
        Assert.Equal("http://localhost/auth/token", challenge["realm"]);
        Assert.Equal("wharf", challenge["service"]);
        Assert.Equal($"repository:{other}:pull,push", challenge["scope"]);
        Assert.Equal("insufficient_scope", challenge["error"]);
    }

    [Fact]
    public async Task Push_TokenGrantsOnlyPull_Returns401InsufficientScope()
    {
        var repository = Unique("team");
        var token = await registry.TokenAsync(TestUsers.Carol, TestUsers.CarolPassword, $"repository:{repository}:pull,push");
        Assert.Equal([("repository", repository, "pull")], Jwt.Access(token));
        using var client = registry.WithBearer(token);

        using var response = await client.PostAsync($"/v2/{repository}/blobs/uploads/", null);

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("insufficient_scope", ErrorBody.ChallengeParameters(ErrorBody.Challenge(response))["error"]);
    }

    [Fact]
    public async Task Pull_NoToken_ChallengeCarriesTheScopeToAskFor()
    {
        var repository = Unique("team");
        using var client = registry.Anonymous();

        using var response = await client.GetAsync($"/v2/{repository}/manifests/v1");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        var challenge = ErrorBody.ChallengeParameters(ErrorBody.Challenge(response));
        Assert.Equal($"repository:{repository}:pull", challenge["scope"]);
        Assert.False(challenge.ContainsKey("error"));
    }

    [Fact]
    public async Task Delete_TokenWithoutDelete_Returns401InsufficientScopeWithDeleteScope()
    {
        var repository = Unique("team");
        var token = await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword, $"repository:{repository}:pull,push,delete");
        using var client = registry.WithBearer(token);
        var (_, digest) = await Push.ImageAsync(client, repository);

        using var response = await client.DeleteAsync($"/v2/{repository}/manifests/{digest}");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        var challenge = ErrorBody.ChallengeParameters(ErrorBody.Challenge(response));
        Assert.Equal($"repository:{repository}:delete", challenge["scope"]);
        Assert.Equal("insufficient_scope", challenge["error"]);
    }

    [Fact]
    public async Task Pull_AnonymousTokenOnPublicRepository_WorksAndOnPrivateIsRefused()
    {
        var publicRepository = $"public/lib{Guid.NewGuid():N}";
        var privateRepository = Unique("team");
        var bobToken = await registry.TokenAsync(TestUsers.Bob, TestUsers.BobPassword, $"repository:{publicRepository}:pull,push", $"repository:{privateRepository}:pull,push");
        using (var bob = registry.WithBearer(bobToken))
        {
            await Push.ImageAsync(bob, publicRepository);
            await Push.ImageAsync(bob, privateRepository);
        }
        var token = await registry.TokenAsync(null, null, $"repository:{publicRepository}:pull", $"repository:{privateRepository}:pull");
        using var client = registry.WithBearer(token);

        using var publicPull = await client.GetAsync($"/v2/{publicRepository}/manifests/v1");
        using var privatePull = await client.GetAsync($"/v2/{privateRepository}/manifests/v1");
        using var publicPush = await Push.BlobAsync(client, publicRepository, Encoding.UTF8.GetBytes("anonymous push"));

        Assert.Equal(HttpStatusCode.OK, publicPull.StatusCode);
        await ErrorBody.AssertAsync(privatePull, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await ErrorBody.AssertAsync(publicPush, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Pull_NoTokenOnPublicRepository_Works()
    {
        var repository = $"public/lib{Guid.NewGuid():N}";
        var bobToken = await registry.TokenAsync(TestUsers.Bob, TestUsers.BobPassword, $"repository:{repository}:pull,push");
        using (var bob = registry.WithBearer(bobToken))
        {
            await Push.ImageAsync(bob, repository);
        }
        using var anonymous = registry.Anonymous();

        using var response = await anonymous.GetAsync($"/v2/{repository}/manifests/v1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Catalog_WithTokens_ListsWhatTheSubjectMayPull()
    {
        var id = Guid.NewGuid().ToString("N");
        var repositories = new[] { $"team/tc{id}", $"public/tc{id}", $"other/tc{id}" };
        var bobToken = await registry.TokenAsync(TestUsers.Bob, TestUsers.BobPassword, [.. repositories.Select(r => $"repository:{r}:pull,push")]);
        using (var bob = registry.WithBearer(bobToken))
        {
            foreach (var repository in repositories)
            {
                await Push.ImageAsync(bob, repository);
            }
        }
        var aliceToken = await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword, "registry:catalog:*");
        var adminToken = await registry.TokenAsync(TestUsers.Bob, TestUsers.BobPassword, "registry:catalog:*");

        var anonymous = await CatalogAsync(registry.Anonymous(), id);
        var alice = await CatalogAsync(registry.WithBearer(aliceToken), id);
        var admin = await CatalogAsync(registry.WithBearer(adminToken), id);

        Assert.Equal([$"public/tc{id}"], anonymous);
        Assert.Equal([$"public/tc{id}", $"team/tc{id}"], alice);
        Assert.Equal([$"other/tc{id}", $"public/tc{id}", $"team/tc{id}"], admin);
    }

    [Fact]
    public async Task Mount_FromRepositoryTokenDoesNotGrant_FallsBackTo202()
    {
        var source = Unique("other");
        var target = Unique("team");
        var bytes = Encoding.UTF8.GetBytes($"secret {Guid.NewGuid()}");
        var bobToken = await registry.TokenAsync(TestUsers.Bob, TestUsers.BobPassword, $"repository:{source}:pull,push");
        using (var bob = registry.WithBearer(bobToken))
        {
            (await Push.BlobAsync(bob, source, bytes)).Dispose();
        }
        // alice asks for pull on the source too; the rules do not give it to her.
        var token = await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword, $"repository:{target}:pull,push", $"repository:{source}:pull");
        using var alice = registry.WithBearer(token);

        using var mount = await alice.PostAsync($"/v2/{target}/blobs/uploads/?mount={RegistryClient.DigestOf(bytes)}&from={source}", null);

        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
    }

    [Fact]
    public async Task Mount_FromRepositoryTokenGrantsPull_Returns201()
    {
        var source = Unique("team");
        var target = Unique("team");
        var bytes = Encoding.UTF8.GetBytes($"shared {Guid.NewGuid()}");
        var token = await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword, $"repository:{target}:pull,push", $"repository:{source}:pull,push");
        using var alice = registry.WithBearer(token);
        (await Push.BlobAsync(alice, source, bytes)).Dispose();

        using var mount = await alice.PostAsync($"/v2/{target}/blobs/uploads/?mount={RegistryClient.DigestOf(bytes)}&from={source}", null);

        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
    }

    public static TheoryData<string> ForgedTokenKinds => new()
    {
        "signature-altered",
        "payload-edited",
        "other-key",
        "alg-none",
        "expired",
        "not-yet-valid",
        "wrong-audience",
        "wrong-issuer",
        "no-expiry",
        "hs256-shared-secret",
        "embedded-jwk",
        "garbage",
    };

    [Theory]
    [MemberData(nameof(ForgedTokenKinds))]
    public async Task Push_ForgedToken_Returns401InvalidToken(string kind)
    {
        var repository = Unique("team");
        var token = ForgedTokens.Make(kind, registry.RegistryKey(), repository, await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword, $"repository:{repository}:pull,push"));

        using var response = await registry.SendWithRawAuthorizationAsync(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/", "Bearer " + token);

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        var challenge = ErrorBody.ChallengeParameters(ErrorBody.Challenge(response));
        Assert.Equal("Bearer", challenge["scheme"]);
        Assert.Equal("invalid_token", challenge["error"]);
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("bearer")]
    public async Task GetBase_BearerWithoutToken_Returns401BearerChallenge(string header)
    {
        using var response = await registry.SendWithRawAuthorizationAsync(HttpMethod.Get, "/v2/", header);

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.StartsWith("Bearer realm=", ErrorBody.Challenge(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_TokenCraftedWithRegistryKey_IsAccepted()
    {
        // The control for the forged-token theory: the same construction, done right, is accepted.
        var repository = Unique("team");
        var token = Jwt.Create(registry.RegistryKey(), [Jwt.Grant(repository, "pull", "push")]);
        using var client = registry.WithBearer(token);

        using var response = await client.PostAsync($"/v2/{repository}/blobs/uploads/", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task GetBase_ExpiredToken_Returns401InvalidToken()
    {
        var token = Jwt.Create(registry.RegistryKey(), [], notBefore: DateTime.UtcNow.AddHours(-2), expires: DateTime.UtcNow.AddMinutes(-10));
        using var client = registry.WithBearer(token);

        using var response = await client.GetAsync("/v2/");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("invalid_token", ErrorBody.ChallengeParameters(ErrorBody.Challenge(response))["error"]);
    }

    [Fact]
    public void GeneratedSigningKey_IsOwnerOnly()
    {
        var path = Path.Combine(registry.Factory.StorageRoot, "token-signing-key.pem");

        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    private static async Task<List<string>> CatalogAsync(HttpClient client, string id)
    {
        using (client)
        {
            using var response = await client.GetAsync("/v2/_catalog");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return document.RootElement.GetProperty("repositories").EnumerateArray().Select(e => e.GetString()!)
                .Where(r => r.Contains(id, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        }
    }
}

/// <summary>Tokens that must not be accepted, each a known way of getting a JWT wrong or forging one.</summary>
public static class ForgedTokens
{
    /// <param name="registryKey">The key the registry really signs with (for expired, wrong audience...).</param>
    /// <param name="repository">The repository the forged token claims push on.</param>
    /// <param name="genuine">A genuine token of the registry, to tamper with.</param>
    public static string Make(string kind, SigningCredentials registryKey, string repository, string genuine)
    {
        var access = new[] { Jwt.Grant(repository, "pull", "push", "delete") };
        var now = DateTime.UtcNow;
        return kind switch
        {
            "signature-altered" => Jwt.AlterSignature(genuine),
            "payload-edited" => Jwt.ReplacePayload(genuine, JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["iss"] = "wharf",
                ["aud"] = "wharf",
                ["sub"] = "bob",
                ["exp"] = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
                ["access"] = access,
            })),
            "other-key" => Jwt.Create(Jwt.StrangerKey(), access),
            "alg-none" => Jwt.Unsigned(access),
            "expired" => Jwt.Create(registryKey, access, notBefore: now.AddHours(-2), expires: now.AddMinutes(-10)),
            "not-yet-valid" => Jwt.Create(registryKey, access, notBefore: now.AddMinutes(10), expires: now.AddMinutes(20)),
            "wrong-audience" => Jwt.Create(registryKey, access, audience: "another-registry"),
            "wrong-issuer" => Jwt.Create(registryKey, access, issuer: "evil-issuer"),
            "no-expiry" => NoExpiry(registryKey, access),
            "hs256-shared-secret" => Jwt.Create(new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(new string('k', 64))), SecurityAlgorithms.HmacSha256), access),
            "embedded-jwk" => EmbeddedJwk(access),
            "garbage" => "not.a.jwt",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    private static string NoExpiry(SigningCredentials key, IEnumerable<Dictionary<string, object>> access)
    {
        var handler = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "wharf",
            Audience = "wharf",
            SigningCredentials = key,
            Claims = new Dictionary<string, object> { ["sub"] = "alice", ["access"] = access.Cast<object>().ToList() },
        });
    }

    // The attacker signs with a key of its own and ships that key in the header (CVE-2018-0114 style).
    private static string EmbeddedJwk(IEnumerable<Dictionary<string, object>> access)
    {
        var stranger = Jwt.StrangerKey();
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey((ECDsaSecurityKey)stranger.Key);
        var header = new Dictionary<string, object>
        {
            ["jwk"] = new Dictionary<string, object> { ["kty"] = jwk.Kty, ["crv"] = jwk.Crv, ["x"] = jwk.X, ["y"] = jwk.Y },
            ["jku"] = "https://attacker.example.invalid/jwks.json",
            ["x5u"] = "https://attacker.example.invalid/cert.pem",
        };
        return Jwt.Create(stranger, access, extraHeader: header);
    }
}
