using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Wharf.Tests.Api;

namespace Wharf.Tests.Auth;

/// <summary>Wharf in htpasswd mode with the standard rules (see <see cref="AuthSettings.Standard"/>).</summary>
public sealed class HtpasswdRegistryFixture : AuthRegistryFixture
{
    protected override IEnumerable<(string Key, string Value)> Settings(string htpasswd, TempDir directory) =>
        AuthSettings.Standard("htpasswd", htpasswd);
}

/// <summary>HTTP Basic sign-in against an htpasswd file, and the access rules applied to each request.</summary>
public sealed class HtpasswdModeApiTests(HtpasswdRegistryFixture registry) : IClassFixture<HtpasswdRegistryFixture>
{
    private static string Unique(string prefix) => $"{prefix}/r{Guid.NewGuid():N}";

    [Fact]
    public async Task GetBase_NoCredentials_Returns401WithBasicChallenge()
    {
        using var client = registry.Anonymous();
        using var response = await client.GetAsync("/v2/");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Basic realm=\"Wharf Test\"", ErrorBody.Challenge(response));
        Assert.Equal("registry/2.0", response.Headers.GetValues("Docker-Distribution-API-Version").Single());
    }

    [Fact]
    public async Task GetBase_RightCredentials_Returns200()
    {
        using var client = registry.As(TestUsers.Alice, TestUsers.AlicePassword);
        using var response = await client.GetAsync("/v2/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(TestUsers.Alice, "wrong-password")]
    [InlineData(TestUsers.Alice, "")]
    [InlineData(TestUsers.Alice, "ALICE-SECRET")]
    [InlineData("mallory", "alice-secret")]
    [InlineData("", "alice-secret")]
    [InlineData("ALICE", TestUsers.AlicePassword)]
    public async Task GetBase_WrongCredentials_Returns401WithBasicChallenge(string user, string password)
    {
        using var client = registry.As(user, password);
        using var response = await client.GetAsync("/v2/");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Basic realm=\"Wharf Test\"", ErrorBody.Challenge(response));
    }

    [Theory]
    [InlineData("Basic")]
    [InlineData("Basic !!!not-base64!!!")]
    [InlineData("Basic YWxpY2U=")] // "alice", no colon
    [InlineData("Bearer abc.def.ghi")]
    [InlineData("Digest username=\"alice\"")]
    public async Task GetBase_MalformedAuthorization_Returns401(string header)
    {
        using var response = await registry.SendWithRawAuthorizationAsync(HttpMethod.Get, "/v2/", header);

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.StartsWith("Basic realm=", ErrorBody.Challenge(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetBase_OverlongBasicCredentials_Returns401()
    {
        using var client = registry.As(TestUsers.Alice, new string('x', 5000));
        using var response = await client.GetAsync("/v2/");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task PushAndPull_RuleGrantsPullPush_Works()
    {
        var repository = Unique("team");
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);

        var (json, digest) = await Push.ImageAsync(alice, repository);
        using var manifest = await alice.GetAsync($"/v2/{repository}/manifests/v1");
        var tags = await alice.GetStringAsync($"/v2/{repository}/tags/list");

        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(json, await manifest.Content.ReadAsStringAsync());
        Assert.Equal(digest, manifest.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Contains("\"v1\"", tags, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_RepositoryNoRuleGrants_Returns403Denied()
    {
        var repository = Unique("other");
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);

        using var start = await alice.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        using var monolithic = await Push.BlobAsync(alice, repository, Encoding.UTF8.GetBytes("denied bytes"));
        using var manifest = await new RegistryClient(alice).PutManifestAsync(repository, "v1", "{}", Wharf.Tests.Api.Manifests.OciManifestType);

        await ErrorBody.AssertAsync(start, HttpStatusCode.Forbidden, "DENIED");
        await ErrorBody.AssertAsync(monolithic, HttpStatusCode.Forbidden, "DENIED");
        await ErrorBody.AssertAsync(manifest, HttpStatusCode.Forbidden, "DENIED");
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        Assert.DoesNotContain(repository, await bob.GetStringAsync("/v2/_catalog"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_RepositoryNoRuleGrants_Returns403Denied()
    {
        var repository = Unique("other");
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        await Push.ImageAsync(bob, repository);
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);

        using var manifest = await alice.GetAsync($"/v2/{repository}/manifests/v1");
        using var tags = await alice.GetAsync($"/v2/{repository}/tags/list");

        await ErrorBody.AssertAsync(manifest, HttpStatusCode.Forbidden, "DENIED");
        await ErrorBody.AssertAsync(tags, HttpStatusCode.Forbidden, "DENIED");
    }

    [Fact]
    public async Task Push_NestedRepositoryUnderSingleStarPattern_Returns403Denied()
    {
        // team/* covers one component only: team/a/b is not alice's.
        var repository = $"team/a{Guid.NewGuid():N}/b";
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);

        using var response = await alice.PostAsync($"/v2/{repository}/blobs/uploads/", null);

        await ErrorBody.AssertAsync(response, HttpStatusCode.Forbidden, "DENIED");
    }

    [Fact]
    public async Task PushPullDelete_Admin_MayDoAnythingAnywhere()
    {
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        foreach (var repository in new[] { Unique("other"), Unique("team"), $"deep/a/b/c{Guid.NewGuid():N}" })
        {
            var (_, digest) = await Push.ImageAsync(bob, repository);
            using var pull = await bob.GetAsync($"/v2/{repository}/manifests/{digest}");
            using var delete = await bob.DeleteAsync($"/v2/{repository}/manifests/{digest}");

            Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
    }

    [Fact]
    public async Task Pull_GroupRuleGrantsPull_WorksButPushIsDenied()
    {
        var repository = Unique("team");
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        var (json, _) = await Push.ImageAsync(bob, repository);
        using var carol = registry.As(TestUsers.Carol, TestUsers.CarolPassword);

        using var pull = await carol.GetAsync($"/v2/{repository}/manifests/v1");
        using var push = await carol.PostAsync($"/v2/{repository}/blobs/uploads/", null);

        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        Assert.Equal(json, await pull.Content.ReadAsStringAsync());
        await ErrorBody.AssertAsync(push, HttpStatusCode.Forbidden, "DENIED");
    }

    [Fact]
    public async Task Pull_SignedInUserNamedByNoRule_Returns403Denied()
    {
        var repository = Unique("team");
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        await Push.ImageAsync(bob, repository);
        using var dave = registry.As(TestUsers.Dave, TestUsers.DavePassword);

        using var baseCheck = await dave.GetAsync("/v2/");
        using var pull = await dave.GetAsync($"/v2/{repository}/manifests/v1");

        Assert.Equal(HttpStatusCode.OK, baseCheck.StatusCode);
        await ErrorBody.AssertAsync(pull, HttpStatusCode.Forbidden, "DENIED");
    }

    [Fact]
    public async Task Pull_AnonymousOnAnonymousPullRepository_Works()
    {
        var repository = $"public/lib{Guid.NewGuid():N}";
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        var (json, digest) = await Push.ImageAsync(bob, repository);
        using var anonymous = registry.Anonymous();

        using var manifest = await anonymous.GetAsync($"/v2/{repository}/manifests/v1");
        using var head = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/manifests/{digest}"));
        using var tags = await anonymous.GetAsync($"/v2/{repository}/tags/list");

        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(json, await manifest.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(HttpStatusCode.OK, tags.StatusCode);
    }

    [Fact]
    public async Task Pull_AnonymousOnNestedAnonymousPullRepository_Works()
    {
        var repository = $"public/a/b{Guid.NewGuid():N}";
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        await Push.ImageAsync(bob, repository);
        using var anonymous = registry.Anonymous();

        using var manifest = await anonymous.GetAsync($"/v2/{repository}/manifests/v1");

        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
    }

    [Fact]
    public async Task Push_AnonymousOnAnonymousPullRepository_Returns401()
    {
        var repository = $"public/lib{Guid.NewGuid():N}";
        using var anonymous = registry.Anonymous();

        using var response = await Push.BlobAsync(anonymous, repository, Encoding.UTF8.GetBytes("anonymous push"));

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.StartsWith("Basic realm=", ErrorBody.Challenge(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_AnonymousOnPrivateRepository_Returns401WithChallenge()
    {
        var repository = Unique("team");
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        var (_, digest) = await Push.ImageAsync(bob, repository);
        using var anonymous = registry.Anonymous();

        using var manifest = await anonymous.GetAsync($"/v2/{repository}/manifests/v1");
        using var blob = await anonymous.GetAsync($"/v2/{repository}/blobs/{digest}");
        using var tags = await anonymous.GetAsync($"/v2/{repository}/tags/list");

        foreach (var response in new[] { manifest, blob, tags })
        {
            await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            Assert.Equal("Basic realm=\"Wharf Test\"", ErrorBody.Challenge(response));
        }
    }

    [Fact]
    public async Task Pull_WrongPasswordOnAnonymousPullRepository_Returns401()
    {
        // Credentials that are wrong are refused even where none would be needed.
        var repository = $"public/lib{Guid.NewGuid():N}";
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        await Push.ImageAsync(bob, repository);
        using var wrong = registry.As(TestUsers.Alice, "wrong");

        using var response = await wrong.GetAsync($"/v2/{repository}/manifests/v1");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Delete_WithoutDeleteAction_Returns403Denied()
    {
        var repository = Unique("team");
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);
        var (_, digest) = await Push.ImageAsync(alice, repository);
        var layer = RegistryClient.DigestOf(Encoding.UTF8.GetBytes($"layer bytes for {repository}"));

        using var byDigest = await alice.DeleteAsync($"/v2/{repository}/manifests/{digest}");
        using var byTag = await alice.DeleteAsync($"/v2/{repository}/manifests/v1");
        using var blob = await alice.DeleteAsync($"/v2/{repository}/blobs/{layer}");

        await ErrorBody.AssertAsync(byDigest, HttpStatusCode.Forbidden, "DENIED");
        await ErrorBody.AssertAsync(byTag, HttpStatusCode.Forbidden, "DENIED");
        await ErrorBody.AssertAsync(blob, HttpStatusCode.Forbidden, "DENIED");
        using var still = await alice.GetAsync($"/v2/{repository}/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task Delete_WithDeleteAction_Returns202()
    {
        var repository = Unique("scratch");
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);
        var (_, digest) = await Push.ImageAsync(alice, repository);
        var layer = RegistryClient.DigestOf(Encoding.UTF8.GetBytes($"layer bytes for {repository}"));

        using var blob = await alice.DeleteAsync($"/v2/{repository}/blobs/{layer}");
        using var manifest = await alice.DeleteAsync($"/v2/{repository}/manifests/{digest}");

        Assert.Equal(HttpStatusCode.Accepted, blob.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, manifest.StatusCode);
        using var gone = await alice.GetAsync($"/v2/{repository}/manifests/v1");
        await ErrorBody.AssertAsync(gone, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task Delete_AnonymousOnAnonymousPullRepository_Returns401()
    {
        var repository = $"public/lib{Guid.NewGuid():N}";
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        var (_, digest) = await Push.ImageAsync(bob, repository);
        using var anonymous = registry.Anonymous();

        using var response = await anonymous.DeleteAsync($"/v2/{repository}/manifests/{digest}");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Catalog_ListsOnlyWhatTheCallerMayPull()
    {
        var id = Guid.NewGuid().ToString("N");
        string[] teamRepo = [$"team/cat{id}"], publicRepo = [$"public/cat{id}"], otherRepo = [$"other/cat{id}"], scratchRepo = [$"scratch/cat{id}"];
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        foreach (var repository in teamRepo.Concat(publicRepo).Concat(otherRepo).Concat(scratchRepo))
        {
            await Push.ImageAsync(bob, repository);
        }

        var anonymous = await CatalogAsync(registry.Anonymous());
        var alice = await CatalogAsync(registry.As(TestUsers.Alice, TestUsers.AlicePassword));
        var carol = await CatalogAsync(registry.As(TestUsers.Carol, TestUsers.CarolPassword));
        var dave = await CatalogAsync(registry.As(TestUsers.Dave, TestUsers.DavePassword));
        var admin = await CatalogAsync(registry.As(TestUsers.Bob, TestUsers.BobPassword));

        Assert.Equal(publicRepo, Mine(anonymous, id));
        Assert.All(anonymous, r => Assert.StartsWith("public/", r, StringComparison.Ordinal));
        Assert.Equal([publicRepo[0], scratchRepo[0], teamRepo[0]], Mine(alice, id));
        Assert.All(alice, r => Assert.Matches("^(public/.+|team/[^/]+|scratch/[^/]+)$", r));
        Assert.Equal([publicRepo[0], teamRepo[0]], Mine(carol, id));
        Assert.Equal(publicRepo, Mine(dave, id));
        Assert.Equal([otherRepo[0], publicRepo[0], scratchRepo[0], teamRepo[0]], Mine(admin, id));
    }

    [Fact]
    public async Task Catalog_WrongPassword_Returns401()
    {
        using var client = registry.As(TestUsers.Alice, "wrong");
        using var response = await client.GetAsync("/v2/_catalog");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Catalog_PaginatedForNonAdmin_PagesSkipHiddenRepositories()
    {
        var id = Guid.NewGuid().ToString("N");
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        // Interleaved: other/ sorts between public/ and team/, and alice must never see it.
        foreach (var repository in new[] { $"public/pg{id}", $"other/pg{id}a", $"other/pg{id}b", $"team/pg{id}" })
        {
            await Push.ImageAsync(bob, repository);
        }
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);

        var seen = new List<string>();
        var next = "/v2/_catalog?n=1";
        for (var pages = 0; next is not null && pages < 10_000; pages++)
        {
            using var response = await alice.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var items = document.RootElement.GetProperty("repositories").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.True(items.Count <= 1);
            seen.AddRange(items);
            next = response.Headers.TryGetValues("Link", out var link) ? link.Single().Split(';')[0].Trim('<', '>') : null;
        }

        Assert.Equal([$"public/pg{id}", $"team/pg{id}"], Mine(seen, id));
        Assert.DoesNotContain(seen, r => r.StartsWith("other/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mount_FromRepositoryCallerCannotPull_FallsBackTo202Upload()
    {
        var source = Unique("other");
        var target = Unique("team");
        var bytes = Encoding.UTF8.GetBytes($"secret layer {Guid.NewGuid()}");
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        using var pushed = await Push.BlobAsync(bob, source, bytes);
        Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        var digest = RegistryClient.DigestOf(bytes);
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);

        using var mount = await alice.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={source}", null);
        using var automatic = await alice.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}", null);
        using var blob = await alice.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{target}/blobs/{digest}"));

        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        Assert.Contains("/blobs/uploads/", mount.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, automatic.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, blob.StatusCode);
    }

    [Fact]
    public async Task Mount_FromRepositoryCallerMayPull_Returns201()
    {
        var source = Unique("team");
        var publicSource = $"public/m{Guid.NewGuid():N}";
        var target = Unique("team");
        var bytes = Encoding.UTF8.GetBytes($"shared layer {Guid.NewGuid()}");
        var publicBytes = Encoding.UTF8.GetBytes($"public layer {Guid.NewGuid()}");
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        (await Push.BlobAsync(bob, source, bytes)).Dispose();
        (await Push.BlobAsync(bob, publicSource, publicBytes)).Dispose();
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);

        using var mount = await alice.PostAsync($"/v2/{target}/blobs/uploads/?mount={RegistryClient.DigestOf(bytes)}&from={source}", null);
        using var publicMount = await alice.PostAsync($"/v2/{target}/blobs/uploads/?mount={RegistryClient.DigestOf(publicBytes)}&from={publicSource}", null);

        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        Assert.Equal(HttpStatusCode.Created, publicMount.StatusCode);
    }

    [Fact]
    public async Task Mount_IntoRepositoryCallerCannotPush_Returns403Denied()
    {
        var source = Unique("team");
        var bytes = Encoding.UTF8.GetBytes($"layer {Guid.NewGuid()}");
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);
        (await Push.BlobAsync(alice, source, bytes)).Dispose();

        using var mount = await alice.PostAsync($"/v2/{Unique("other")}/blobs/uploads/?mount={RegistryClient.DigestOf(bytes)}&from={source}", null);

        await ErrorBody.AssertAsync(mount, HttpStatusCode.Forbidden, "DENIED");
    }

    [Fact]
    public async Task Mount_AdminWithoutFrom_MountsAnyCopy()
    {
        var bytes = Encoding.UTF8.GetBytes($"admin layer {Guid.NewGuid()}");
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        (await Push.BlobAsync(bob, Unique("other"), bytes)).Dispose();

        using var mount = await bob.PostAsync($"/v2/{Unique("elsewhere")}/blobs/uploads/?mount={RegistryClient.DigestOf(bytes)}", null);

        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
    }

    [Fact]
    public async Task UploadSession_OfAnotherUsersRepositoryCallerCannotPush_Returns403Denied()
    {
        var repository = Unique("other");
        using var bob = registry.As(TestUsers.Bob, TestUsers.BobPassword);
        using var start = await bob.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = start.Headers.Location!.OriginalString;
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);

        using var status = await alice.GetAsync(location);
        using var patch = await alice.PatchAsync(location, new ByteArrayContent([1, 2, 3]));
        using var cancel = await alice.DeleteAsync(location);

        await ErrorBody.AssertAsync(status, HttpStatusCode.Forbidden, "DENIED");
        await ErrorBody.AssertAsync(patch, HttpStatusCode.Forbidden, "DENIED");
        await ErrorBody.AssertAsync(cancel, HttpStatusCode.Forbidden, "DENIED");
        using var still = await bob.GetAsync(location);
        Assert.Equal(HttpStatusCode.NoContent, still.StatusCode);
        Assert.Equal("0-0", still.Headers.GetValues("Range").Single());
    }

    [Fact]
    public async Task Referrers_AnonymousOnPrivateRepository_Returns401()
    {
        var repository = Unique("team");
        using var anonymous = registry.Anonymous();

        using var response = await anonymous.GetAsync($"/v2/{repository}/referrers/sha256:{new string('a', 64)}");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task AnyRequest_InvalidNameWithoutCredentials_Returns400NameInvalid()
    {
        // The name is validated before access is decided, so a malformed name is a 400 whoever asks.
        using var anonymous = registry.Anonymous();

        using var response = await anonymous.GetAsync("/v2/UPPER/case/manifests/latest");

        await ErrorBody.AssertAsync(response, HttpStatusCode.BadRequest, "NAME_INVALID");
    }

    [Fact]
    public async Task AuthToken_HtpasswdMode_Returns404()
    {
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);

        using var response = await alice.GetAsync("/auth/token?service=wharf&scope=repository:team/app:pull");

        await ErrorBody.AssertAsync(response, HttpStatusCode.NotFound, "UNSUPPORTED");
    }

    private static async Task<List<string>> CatalogAsync(HttpClient client)
    {
        using (client)
        {
            using var response = await client.GetAsync("/v2/_catalog");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return document.RootElement.GetProperty("repositories").EnumerateArray().Select(e => e.GetString()!).ToList();
        }
    }

    private static List<string> Mine(IEnumerable<string> repositories, string id) =>
        repositories.Where(r => r.Contains(id, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
}

/// <summary>htpasswd mode without any rules: every signed-in user may do everything (registry:2's behaviour).</summary>
public sealed class NoRulesRegistryFixture : AuthRegistryFixture
{
    protected override IEnumerable<(string Key, string Value)> Settings(string htpasswd, TempDir directory) =>
    [
        ("Auth:Mode", "htpasswd"),
        ("Auth:Htpasswd", htpasswd),
        ("Auth:MaxFailedLogins", "100000"),
    ];
}

public sealed class HtpasswdWithoutRulesApiTests(NoRulesRegistryFixture registry) : IClassFixture<NoRulesRegistryFixture>
{
    [Theory]
    [InlineData(TestUsers.Alice, TestUsers.AlicePassword)]
    [InlineData(TestUsers.Dave, TestUsers.DavePassword)]
    public async Task PushPullDelete_NoRules_AnySignedInUserMayDoEverything(string user, string password)
    {
        var repository = $"any/where{Guid.NewGuid():N}/deep";
        using var client = registry.As(user, password);

        var (_, digest) = await Push.ImageAsync(client, repository);
        using var pull = await client.GetAsync($"/v2/{repository}/manifests/v1");
        using var delete = await client.DeleteAsync($"/v2/{repository}/manifests/{digest}");

        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
    }

    [Fact]
    public async Task Catalog_NoRules_SignedInUserSeesEverything()
    {
        var repository = $"any/cat{Guid.NewGuid():N}";
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);
        await Push.ImageAsync(alice, repository);
        using var dave = registry.As(TestUsers.Dave, TestUsers.DavePassword);

        var catalog = await dave.GetStringAsync("/v2/_catalog");

        Assert.Contains($"\"{repository}\"", catalog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyRequest_NoRulesAnonymous_Returns401()
    {
        var repository = $"any/anon{Guid.NewGuid():N}";
        using var alice = registry.As(TestUsers.Alice, TestUsers.AlicePassword);
        await Push.ImageAsync(alice, repository);
        using var anonymous = registry.Anonymous();

        using var pull = await anonymous.GetAsync($"/v2/{repository}/manifests/v1");
        using var push = await anonymous.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        var catalog = await anonymous.GetStringAsync("/v2/_catalog");

        await ErrorBody.AssertAsync(pull, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await ErrorBody.AssertAsync(push, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("{\"repositories\":[]}", catalog.Replace(" ", "", StringComparison.Ordinal));
    }
}

/// <summary>Sending Basic credentials to a registry with no authentication changes nothing.</summary>
public sealed class NoAuthModeApiTests : IClassFixture<WharfApiFactory>
{
    private readonly WharfApiFactory _factory;

    public NoAuthModeApiTests(WharfApiFactory factory) => _factory = factory;

    [Fact]
    public async Task AnyRequest_ModeNone_NeedsNoCredentialsAndIgnoresThem()
    {
        var repository = $"any/none{Guid.NewGuid():N}";
        using var anonymous = _factory.CreateClient();
        using var withBasic = _factory.CreateClient();
        withBasic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "bm9ib2R5Om5vdGhpbmc=");

        await Push.ImageAsync(anonymous, repository);
        using var baseCheck = await anonymous.GetAsync("/v2/");
        using var pull = await withBasic.GetAsync($"/v2/{repository}/manifests/v1");

        Assert.Equal(HttpStatusCode.OK, baseCheck.StatusCode);
        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
    }
}
