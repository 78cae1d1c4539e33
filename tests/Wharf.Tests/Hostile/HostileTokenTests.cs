using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.Tokens;
using Wharf.Tests.Api;
using Wharf.Tests.Auth;

namespace Wharf.Tests.Hostile;

/// <summary>
/// Token mode on Kestrel with the standard rules (alice: pull and push on team/*; bob: admin).
/// The seed image and upload are bob's, in <c>seed/app</c>, where alice has no right at all.
/// </summary>
public sealed partial class HostileTokenRegistryFixture : HostileRegistryFixture
{
    private static readonly TempDir Users = CreateUsers();
    private static readonly string HtpasswdPath = TestUsers.WriteHtpasswd(Users.FullPath, TestUsers.All);
    private Uri? _server;

    public HostileTokenRegistryFixture()
        : base([.. AuthSettings.Standard("token", HtpasswdPath)])
    {
    }

    private static TempDir CreateUsers()
    {
        var directory = new TempDir("wharf-hostile-users-");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => directory.Dispose();
        return directory;
    }

    /// <summary>bob, with a fresh token for whatever each request touches.</summary>
    public override HttpClient Admin()
    {
        if (_server is null)
        {
            using var client = Factory.CreateClient();
            _server = client.BaseAddress!;
        }
        return new HttpClient(new BobTokens(_server) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = _server };
    }

    public SigningCredentials RegistryKey() => Jwt.RegistryKey(Factory.StorageRoot);

    public async Task<string> TokenAsync(string user, string password, params string[] scopes)
    {
        using var client = new HttpClient { BaseAddress = Server };
        client.DefaultRequestHeaders.Authorization = TestUsers.Basic(user, password);
        var query = "service=wharf" + string.Concat(scopes.Select(s => "&scope=" + Uri.EscapeDataString(s)));
        using var document = JsonDocument.Parse(await client.GetStringAsync($"/auth/token?{query}"));
        return document.RootElement.GetProperty("token").GetString()!;
    }

    [GeneratedRegex("^/v2/(.+?)/(blobs|manifests|tags|referrers)/")]
    private static partial Regex RepositoryInPath();

    private sealed class BobTokens(Uri server) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.IsAbsoluteUri ? request.RequestUri.AbsolutePath : "/" + request.RequestUri.OriginalString.TrimStart('/');
            var match = RepositoryInPath().Match(path);
            var scope = match.Success ? $"repository:{match.Groups[1].Value}:pull,push,delete" : "registry:catalog:*";
            using var tokens = new HttpClient { BaseAddress = server };
            tokens.DefaultRequestHeaders.Authorization = TestUsers.Basic(TestUsers.Bob, TestUsers.BobPassword);
            using var document = JsonDocument.Parse(await tokens.GetStringAsync($"/auth/token?service=wharf&scope={Uri.EscapeDataString(scope)}", cancellationToken));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", document.RootElement.GetProperty("token").GetString());
            return await base.SendAsync(request, cancellationToken);
        }
    }
}

public sealed class HostileTokenTests(HostileTokenRegistryFixture registry) : IClassFixture<HostileTokenRegistryFixture>
{
    private async Task<RawResponse> AssertRefusedAsync(string what, string method, string target, string token, int status, string code, byte[]? body = null, (string, string)[]? headers = null)
    {
        var before = await registry.StateAsync();

        var response = await RawHttp.SendAsync(registry.Server, method, target, body, [("Authorization", "Bearer " + token), .. headers ?? []]);

        Hostile.AssertRefused(response, status, code, what);
        before.AssertSame(await registry.StateAsync(), what);
        return response;
    }

    public static TheoryData<string, string> ForgedKindsByRequest()
    {
        var data = new TheoryData<string, string>();
        foreach (var kind in ((IEnumerable<object[]>)TokenModeApiTests.ForgedTokenKinds).Select(row => (string)row[0]))
        {
            foreach (var request in new[] { "monolithic-upload", "manifest-put", "chunk-patch", "manifest-delete" })
            {
                data.Add(kind, request);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ForgedKindsByRequest))]
    public async Task AnyWrite_ForgedToken_Returns401InvalidTokenAndNothingChanges(string kind, string request)
    {
        var genuine = await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword, "repository:seed/app:pull,push");
        var token = ForgedTokens.Make(kind, registry.RegistryKey(), HostileRegistryFixture.SeedRepository, genuine);
        var blob = Hostile.Utf8("forged-token bytes");
        var (method, target, body, headers) = request switch
        {
            "monolithic-upload" => ("POST", $"/v2/seed/app/blobs/uploads/?digest={RegistryClient.DigestOf(blob)}", blob, Array.Empty<(string, string)>()),
            "manifest-put" => ("PUT", "/v2/seed/app/manifests/forged", Hostile.Utf8(Hostile.ValidManifest()), [("Content-Type", Wharf.Tests.Api.Manifests.OciManifestType)]),
            "chunk-patch" => ("PATCH", registry.SeedUpload, blob, [("Content-Range", $"10-{9 + blob.Length}")]),
            "manifest-delete" => ("DELETE", $"/v2/seed/app/manifests/{registry.SeedManifestDigest}", null, []),
            _ => throw new ArgumentOutOfRangeException(nameof(request)),
        };

        var response = await AssertRefusedAsync($"{kind} token, {request}", method, target, token, 401, "UNAUTHORIZED", body, headers);

        var challenge = ErrorBody.ChallengeParameters(response.Header("WWW-Authenticate")!);
        Assert.Equal("Bearer", challenge["scheme"]);
        Assert.Equal("invalid_token", challenge["error"]);
    }

    [Fact]
    public async Task PutManifest_ReferencingBlobsOfRepositoryCallerCannotRead_Returns400ManifestBlobUnknown()
    {
        // alice may push team/app but not read seed/app, whose blobs the manifest names.
        var repository = $"team/r{Guid.NewGuid():N}";
        var token = await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword, $"repository:{repository}:pull,push", "repository:seed/app:pull");

        await AssertRefusedAsync("alice's manifest naming seed/app's blobs", "PUT", $"/v2/{repository}/manifests/stolen", token, 400, "MANIFEST_BLOB_UNKNOWN",
            Hostile.Utf8(Hostile.ValidManifest()), [("Content-Type", Wharf.Tests.Api.Manifests.OciManifestType)]);
    }

    [Fact]
    public async Task PatchUpload_AnotherUsersSessionUnderOwnRepository_Returns404BlobUploadUnknown()
    {
        var token = await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword, "repository:team/app:pull,push");

        await AssertRefusedAsync("alice writing into bob's upload through team/app", "PATCH", $"/v2/team/app/blobs/uploads/{registry.SeedUploadId}", token, 404, "BLOB_UPLOAD_UNKNOWN",
            Hostile.Utf8("hijack"));
    }

    [Fact]
    public async Task PatchUpload_AnotherUsersSessionWithoutRights_Returns401InsufficientScope()
    {
        var token = await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword, "repository:seed/app:pull,push");

        var response = await AssertRefusedAsync("alice writing into bob's upload", "PATCH", registry.SeedUpload, token, 401, "UNAUTHORIZED", Hostile.Utf8("hijack"));

        Assert.Equal("insufficient_scope", ErrorBody.ChallengeParameters(response.Header("WWW-Authenticate")!)["error"]);
    }

    [Theory]
    [InlineData("**")]
    [InlineData("*")]
    [InlineData("seed/*")]
    [InlineData("seed/app/")]
    [InlineData("SEED/APP")]
    [InlineData("seed/app/../app")]
    public async Task Push_GenuinelySignedTokenWithWildcardOrVariantName_GrantsNothing(string name)
    {
        // Grants are for exact repository names; a pattern in the claim is just a name.
        var token = Jwt.Create(registry.RegistryKey(), [Jwt.Grant(name, "pull", "push", "delete")]);
        var blob = Hostile.Utf8("wildcard bytes");

        var response = await AssertRefusedAsync($"access claim for '{name}'", "POST", $"/v2/seed/app/blobs/uploads/?digest={RegistryClient.DigestOf(blob)}", token, 401, "UNAUTHORIZED", blob);

        Assert.Equal("insufficient_scope", ErrorBody.ChallengeParameters(response.Header("WWW-Authenticate")!)["error"]);
    }

    [Theory]
    [InlineData("Repository")]
    [InlineData("registry")]
    [InlineData("")]
    public async Task Push_AccessClaimOfAnotherType_GrantsNothing(string type)
    {
        var grant = Jwt.Grant("seed/app", "pull", "push");
        grant["type"] = type;
        var token = Jwt.Create(registry.RegistryKey(), [grant]);

        await AssertRefusedAsync($"access of type '{type}'", "POST", "/v2/seed/app/blobs/uploads/", token, 401, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Get_OverlongGarbageToken_Returns401InvalidToken()
    {
        var token = new string('a', 10_000) + "." + new string('b', 10_000) + "." + new string('c', 5_000);

        var response = await AssertRefusedAsync("a 25 KB garbage token", "GET", "/v2/seed/app/tags/list", token, 401, "UNAUTHORIZED");

        Assert.Equal("invalid_token", ErrorBody.ChallengeParameters(response.Header("WWW-Authenticate")!)["error"]);
    }

    [Fact]
    public async Task Get_TokenWithKidPathTraversal_Returns401InvalidToken()
    {
        var stranger = Jwt.StrangerKey();
        stranger.Key.KeyId = "../../../../etc/passwd";
        var token = Jwt.Create(stranger, [Jwt.Grant("seed/app", "pull")]);

        var response = await AssertRefusedAsync("kid ../../etc/passwd", "GET", "/v2/seed/app/tags/list", token, 401, "UNAUTHORIZED");

        Assert.Equal("invalid_token", ErrorBody.ChallengeParameters(response.Header("WWW-Authenticate")!)["error"]);
    }

    [Fact]
    public async Task AuthToken_HostileScopes_GrantOnlyWhatRulesAllow()
    {
        var token = await registry.TokenAsync(TestUsers.Alice, TestUsers.AlicePassword,
            "repository:seed/app:pull,push,delete",
            "repository:team/../seed/app:push",
            "repository:team/app:pull,push:extra",
            "repository:team%2fapp:push",
            $"repository:{new string('a', 300)}:pull",
            "repository:team/app:*");

        var access = Jwt.Access(token);

        Assert.DoesNotContain(access, a => a.Name.Contains("seed", StringComparison.Ordinal) && a.Actions.Length > 0);
        Assert.All(access, a => Assert.True(a.Name == "team/app" || a.Actions.Length == 0, $"{a.Name}: {a.Actions}"));
        Assert.Contains(("repository", "team/app", "pull,push"), access);
    }
}
