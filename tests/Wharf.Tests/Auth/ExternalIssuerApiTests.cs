using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Wharf.Tests.Auth;

/// <summary>
/// Token mode with an external issuer: Wharf serves no tokens, trusts the certificates in
/// <c>Auth:Token:Certificate</c> (an RSA one and an EC P-256 one, in one PEM file), and sends
/// clients to <c>https://auth.example.invalid/token</c>.
/// </summary>
public sealed class ExternalIssuerRegistryFixture : AuthRegistryFixture
{
    public const string Realm = "https://auth.example.invalid/token";
    public const string Issuer = "auth.example.invalid";

    public RSA RsaKey { get; private set; } = null!;
    public ECDsa EcKey { get; private set; } = null!;
    public X509Certificate2 RsaCertificate { get; private set; } = null!;
    public X509Certificate2 EcCertificate { get; private set; } = null!;

    protected override IEnumerable<(string Key, string Value)> Settings(string htpasswd, TempDir directory)
    {
        RsaKey = RSA.Create(2048);
        EcKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        RsaCertificate = new CertificateRequest("CN=token-issuer-rsa", RsaKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        EcCertificate = new CertificateRequest("CN=token-issuer-ec", EcKey, HashAlgorithmName.SHA256)
            .CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        var certificates = directory.Combine("issuer.pem");
        File.WriteAllText(certificates, RsaCertificate.ExportCertificatePem() + "\n" + EcCertificate.ExportCertificatePem() + "\n");
        return
        [
            ("Auth:Mode", "token"),
            ("Auth:Token:BuiltIn", "false"),
            ("Auth:Token:Certificate", certificates),
            ("Auth:Token:Realm", Realm),
            ("Auth:Token:Issuer", Issuer),
            ("Auth:Token:Service", "wharf"),
            ("Auth:AnonymousPull:0", "public/**"),
        ];
    }

    public SigningCredentials Rs256(bool withKeyId = true)
    {
        var key = new RsaSecurityKey(RsaKey) { KeyId = withKeyId ? RsaCertificate.Thumbprint : null };
        return new SigningCredentials(key, SecurityAlgorithms.RsaSha256);
    }

    public SigningCredentials Es256(bool withKeyId = true)
    {
        var key = new ECDsaSecurityKey(EcKey) { KeyId = withKeyId ? EcCertificate.Thumbprint : null };
        return new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256);
    }
}

public sealed class ExternalIssuerApiTests(ExternalIssuerRegistryFixture registry) : IClassFixture<ExternalIssuerRegistryFixture>
{
    private static string Unique(string prefix) => $"{prefix}/r{Guid.NewGuid():N}";

    private SigningCredentials Key(string algorithm, bool withKeyId) => algorithm switch
    {
        "RS256" => registry.Rs256(withKeyId),
        "ES256" => registry.Es256(withKeyId),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    [Fact]
    public async Task GetBase_NoToken_ChallengeNamesTheExternalRealm()
    {
        using var client = registry.Anonymous();

        using var response = await client.GetAsync("/v2/");

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal($"Bearer realm=\"{ExternalIssuerRegistryFixture.Realm}\",service=\"wharf\"", ErrorBody.Challenge(response));
    }

    [Theory]
    [InlineData("/auth/token?service=wharf&scope=repository:team/app:pull")]
    [InlineData("/auth/token")]
    public async Task GetAuthToken_ExternalIssuer_Returns404(string path)
    {
        using var client = registry.As(TestUsers.Alice, TestUsers.AlicePassword);

        using var response = await client.GetAsync(path);
        using var post = await client.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = TestUsers.Alice,
            ["password"] = TestUsers.AlicePassword,
        }));

        await ErrorBody.AssertAsync(response, HttpStatusCode.NotFound, "UNSUPPORTED");
        await ErrorBody.AssertAsync(post, HttpStatusCode.NotFound, "UNSUPPORTED");
    }

    [Theory]
    [InlineData("RS256", true)]
    [InlineData("RS256", false)]
    [InlineData("ES256", true)]
    [InlineData("ES256", false)]
    public async Task PushAndPull_TokenSignedByTrustedIssuer_GrantsItsAccessClaim(string algorithm, bool withKeyId)
    {
        var repository = Unique("team");
        var token = Jwt.Create(Key(algorithm, withKeyId), [Jwt.Grant(repository, "pull", "push")], issuer: ExternalIssuerRegistryFixture.Issuer);
        using var client = registry.WithBearer(token);

        using var baseCheck = await client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, baseCheck.StatusCode);
        var (json, _) = await Push.ImageAsync(client, repository);
        using var pull = await client.GetAsync($"/v2/{repository}/manifests/v1");

        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        Assert.Equal(json, await pull.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("ES256")]
    public async Task Push_RepositoryNotInAccessClaim_Returns401InsufficientScope(string algorithm)
    {
        var granted = Unique("team");
        var other = Unique("team");
        var token = Jwt.Create(Key(algorithm, true), [Jwt.Grant(granted, "pull", "push"), Jwt.Grant(other, "pull")], issuer: ExternalIssuerRegistryFixture.Issuer);
        using var client = registry.WithBearer(token);

        using var response = await Push.BlobAsync(client, other, Encoding.UTF8.GetBytes("no push here"));

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        var challenge = ErrorBody.ChallengeParameters(ErrorBody.Challenge(response));
        Assert.Equal(ExternalIssuerRegistryFixture.Realm, challenge["realm"]);
        Assert.Equal($"repository:{other}:pull,push", challenge["scope"]);
        Assert.Equal("insufficient_scope", challenge["error"]);
    }

    [Fact]
    public async Task Delete_AccessClaimGrantsDelete_Returns202()
    {
        var repository = Unique("team");
        var token = Jwt.Create(registry.Rs256(), [Jwt.Grant(repository, "pull", "push", "delete")], issuer: ExternalIssuerRegistryFixture.Issuer);
        using var client = registry.WithBearer(token);
        var (_, digest) = await Push.ImageAsync(client, repository);

        using var response = await client.DeleteAsync($"/v2/{repository}/manifests/{digest}");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("other-ec-key")]
    [InlineData("other-rsa-key")]
    [InlineData("wrong-issuer")]
    [InlineData("wharf-issuer")]
    [InlineData("wrong-audience")]
    [InlineData("expired")]
    [InlineData("alg-none")]
    [InlineData("signature-altered")]
    [InlineData("rsa-key-as-hs256-secret")]
    public async Task Push_TokenNotFromTrustedIssuer_Returns401InvalidToken(string kind)
    {
        var repository = Unique("team");
        var access = new[] { Jwt.Grant(repository, "pull", "push") };
        var issuer = ExternalIssuerRegistryFixture.Issuer;
        var now = DateTime.UtcNow;
        var token = kind switch
        {
            "other-ec-key" => Jwt.Create(Jwt.StrangerKey(), access, issuer: issuer),
            "other-rsa-key" => Jwt.Create(new SigningCredentials(new RsaSecurityKey(RSA.Create(2048)) { KeyId = registry.RsaCertificate.Thumbprint }, SecurityAlgorithms.RsaSha256), access, issuer: issuer),
            "wrong-issuer" => Jwt.Create(registry.Rs256(), access, issuer: "someone-else"),
            "wharf-issuer" => Jwt.Create(registry.Rs256(), access, issuer: "wharf"),
            "wrong-audience" => Jwt.Create(registry.Es256(), access, issuer: issuer, audience: "other-registry"),
            "expired" => Jwt.Create(registry.Es256(), access, issuer: issuer, notBefore: now.AddHours(-1), expires: now.AddMinutes(-5)),
            "alg-none" => Jwt.Unsigned(access, issuer: issuer),
            "signature-altered" => Jwt.AlterSignature(Jwt.Create(registry.Rs256(), access, issuer: issuer)),
            // Algorithm confusion: the public key's bytes used as an HMAC secret.
            "rsa-key-as-hs256-secret" => Jwt.Create(new SigningCredentials(new SymmetricSecurityKey(registry.RsaCertificate.GetRSAPublicKey()!.ExportSubjectPublicKeyInfo()), SecurityAlgorithms.HmacSha256), access, issuer: issuer),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        using var client = registry.WithBearer(token);

        using var response = await client.PostAsync($"/v2/{repository}/blobs/uploads/", null);

        await ErrorBody.AssertAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("invalid_token", ErrorBody.ChallengeParameters(ErrorBody.Challenge(response))["error"]);
    }

    [Fact]
    public async Task Catalog_TokenHolder_SeesOnlyWhatTheTokenLetsThemPull()
    {
        // The issuer decides who may pull what; the registry has no rules of its own here. A token
        // that grants pull on one repository must not reveal the names of all the others.
        var id = Guid.NewGuid().ToString("N");
        string mine = $"team/mine{id}", secret = $"team/secret{id}", open = $"public/open{id}";
        var pusher = Jwt.Create(registry.Rs256(), [Jwt.Grant(mine, "pull", "push"), Jwt.Grant(secret, "pull", "push"), Jwt.Grant(open, "pull", "push")],
            issuer: ExternalIssuerRegistryFixture.Issuer, subject: "ci");
        using (var client = registry.WithBearer(pusher))
        {
            foreach (var repository in new[] { mine, secret, open })
            {
                await Push.ImageAsync(client, repository);
            }
        }
        var token = Jwt.Create(registry.Rs256(), [Jwt.Grant(mine, "pull"), new Dictionary<string, object> { ["type"] = "registry", ["name"] = "catalog", ["actions"] = new List<object> { "*" } }],
            issuer: ExternalIssuerRegistryFixture.Issuer, subject: "mallory");
        using var mallory = registry.WithBearer(token);

        var catalog = await mallory.GetStringAsync("/v2/_catalog");

        Assert.Contains($"\"{mine}\"", catalog, StringComparison.Ordinal);
        Assert.Contains($"\"{open}\"", catalog, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, catalog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mount_FromRepositoryTokenDoesNotGrant_FallsBackTo202()
    {
        var source = Unique("team");
        var target = Unique("team");
        var bytes = Encoding.UTF8.GetBytes($"external secret {Guid.NewGuid()}");
        using (var owner = registry.WithBearer(Jwt.Create(registry.Rs256(), [Jwt.Grant(source, "pull", "push")], issuer: ExternalIssuerRegistryFixture.Issuer)))
        {
            (await Push.BlobAsync(owner, source, bytes)).Dispose();
        }
        using var client = registry.WithBearer(Jwt.Create(registry.Rs256(), [Jwt.Grant(target, "pull", "push")], issuer: ExternalIssuerRegistryFixture.Issuer));

        using var mount = await client.PostAsync($"/v2/{target}/blobs/uploads/?mount={Wharf.Tests.Api.RegistryClient.DigestOf(bytes)}&from={source}", null);
        using var automatic = await client.PostAsync($"/v2/{target}/blobs/uploads/?mount={Wharf.Tests.Api.RegistryClient.DigestOf(bytes)}", null);

        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, automatic.StatusCode);
    }

    [Fact]
    public async Task Pull_AnonymousOnPublicRepository_Works()
    {
        var repository = $"public/ext{Guid.NewGuid():N}";
        var token = Jwt.Create(registry.Rs256(), [Jwt.Grant(repository, "pull", "push")], issuer: ExternalIssuerRegistryFixture.Issuer);
        using (var pusher = registry.WithBearer(token))
        {
            await Push.ImageAsync(pusher, repository);
        }
        using var anonymous = registry.Anonymous();

        using var response = await anonymous.GetAsync($"/v2/{repository}/manifests/v1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
