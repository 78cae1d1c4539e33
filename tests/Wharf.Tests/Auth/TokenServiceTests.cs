using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;
using Wharf.Auth;

namespace Wharf.Tests.Auth;

public sealed class TokenServiceTests : IDisposable
{
    private readonly ManualClock _clock = new();
    private readonly TempDir _directory = new();
    private readonly TokenOptions _options = new() { Issuer = "wharf", Service = "wharf", Lifetime = TimeSpan.FromMinutes(5) };

    public void Dispose() => _directory.Dispose();

    private SigningCredentials GeneratedKey() =>
        TokenKeys.LoadSigningCredentials(null, _directory.Combine("token-signing-key.pem"));

    private TokenService Service(SigningCredentials? signing, params SecurityKey[] external) => new(_options, signing, external, _clock);

    [Fact]
    public async Task IssueThenValidate_ReturnsCallerWithExactGrants()
    {
        var service = Service(GeneratedKey());
        var issued = service.Issue("alice", [new TokenGrant("repository", "team/app", RegistryAction.Pull | RegistryAction.Push)]);

        var caller = await service.ValidateAsync(issued.Token);

        Assert.NotNull(caller);
        Assert.Equal("alice", caller.Name);
        Assert.True(caller.IsAuthenticated);
        var grant = Assert.Single(caller.Grants!);
        Assert.Equal(new TokenGrant("repository", "team/app", RegistryAction.Pull | RegistryAction.Push), grant);
        Assert.Equal(300, issued.ExpiresIn);
        Assert.Equal(_clock.GetUtcNow(), issued.IssuedAt);
    }

    [Fact]
    public async Task Validate_AnonymousToken_HasNoNameButCountsAsAuthenticated()
    {
        var service = Service(GeneratedKey());
        var issued = service.Issue("", []);

        var caller = await service.ValidateAsync(issued.Token);

        Assert.NotNull(caller);
        Assert.Null(caller.Name);
        Assert.Empty(caller.Grants!);
        Assert.True(caller.IsAuthenticated);
    }

    [Theory]
    [InlineData(299, true)]
    [InlineData(329, true)]
    [InlineData(331, false)]
    [InlineData(3600, false)]
    public async Task Validate_AfterLifetime_RefusedOnceClockSkewHasPassed(int secondsLater, bool valid)
    {
        var service = Service(GeneratedKey());
        var issued = service.Issue("alice", []);
        _clock.Advance(TimeSpan.FromSeconds(secondsLater));

        var caller = await service.ValidateAsync(issued.Token);

        Assert.Equal(valid, caller is not null);
    }

    [Fact]
    public async Task Validate_TokenFromTheFuture_Refused()
    {
        var service = Service(GeneratedKey());
        var issued = service.Issue("alice", []);
        _clock.Advance(TimeSpan.FromMinutes(-2));

        Assert.Null(await service.ValidateAsync(issued.Token));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("a.b.c")]
    [InlineData("....")]
    [InlineData("eyJhbGciOiJub25lIn0.e30.")]
    public async Task Validate_Malformed_ReturnsNullWithoutThrowing(string token)
    {
        Assert.Null(await Service(GeneratedKey()).ValidateAsync(token));
    }

    [Fact]
    public async Task Validate_OverlongToken_ReturnsNullWithoutThrowing()
    {
        var token = new string('a', 300_000) + "." + new string('b', 300_000) + "." + new string('c', 300_000);

        Assert.Null(await Service(GeneratedKey()).ValidateAsync(token));
    }

    [Fact]
    public async Task Validate_SignedByAnotherServicesKey_Refused()
    {
        using var other = new TempDir();
        var stranger = new TokenService(_options, TokenKeys.LoadSigningCredentials(null, other.Combine("key.pem")), [], _clock);
        var issued = stranger.Issue("alice", [new TokenGrant("repository", "team/app", RegistryAction.All)]);

        Assert.Null(await Service(GeneratedKey()).ValidateAsync(issued.Token));
    }

    [Fact]
    public async Task Validate_OtherAudience_Refused()
    {
        var key = GeneratedKey();
        var issuer = new TokenService(new TokenOptions { Service = "other", Issuer = "wharf" }, key, [], _clock);

        Assert.Null(await Service(key).ValidateAsync(issuer.Issue("alice", []).Token));
    }

    [Fact]
    public async Task Validate_OtherIssuer_Refused()
    {
        var key = GeneratedKey();
        var issuer = new TokenService(new TokenOptions { Service = "wharf", Issuer = "elsewhere" }, key, [], _clock);

        Assert.Null(await Service(key).ValidateAsync(issuer.Issue("alice", []).Token));
    }

    [Fact]
    public async Task Validate_MalformedAccessEntries_AreSkipped()
    {
        var key = GeneratedKey();
        var payload = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["iss"] = "wharf",
            ["aud"] = "wharf",
            ["sub"] = "alice",
            ["exp"] = _clock.GetUtcNow().AddMinutes(1).ToUnixTimeSeconds(),
            ["access"] = new object[]
            {
                "not-an-object",
                new Dictionary<string, object> { ["type"] = "repository", ["name"] = "a/b" },
                new Dictionary<string, object> { ["type"] = 1, ["name"] = "a/c", ["actions"] = new[] { "pull" } },
                new Dictionary<string, object> { ["type"] = "repository", ["name"] = "a/d", ["actions"] = new object[] { "pull", 7, "fly" } },
            },
        });
        // Signed properly over the crafted payload.
        var signed = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(payload, key);

        var caller = await Service(key).ValidateAsync(signed);

        Assert.NotNull(caller);
        var grant = Assert.Single(caller.Grants!);
        Assert.Equal(new TokenGrant("repository", "a/d", RegistryAction.Pull), grant);
    }

    [Fact]
    public async Task Validate_AccessClaimNotAnArray_NoGrants()
    {
        var key = GeneratedKey();
        var payload = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["iss"] = "wharf",
            ["aud"] = "wharf",
            ["sub"] = "alice",
            ["exp"] = _clock.GetUtcNow().AddMinutes(1).ToUnixTimeSeconds(),
            ["access"] = "repository:team/app:pull,push",
        });
        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(payload, key);

        var caller = await Service(key).ValidateAsync(token);

        Assert.NotNull(caller);
        Assert.Empty(caller.Grants!);
    }

    [Fact]
    public void Issue_WithoutSigningKey_Throws()
    {
        var service = Service(null, Jwt.StrangerKey().Key);

        Assert.False(service.CanIssue);
        Assert.Throws<InvalidOperationException>(() => service.Issue("alice", []));
    }

    [Fact]
    public void LoadSigningCredentials_Generated_WrittenOwnerOnlyAndReused()
    {
        var path = _directory.Combine("sub", "token-signing-key.pem");

        var first = TokenKeys.LoadSigningCredentials(null, path);
        var second = TokenKeys.LoadSigningCredentials(null, path);

        Assert.True(File.Exists(path));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        Assert.Equal(SecurityAlgorithms.EcdsaSha256, first.Algorithm);
        Assert.Equal(first.Key.KeyId, second.Key.KeyId);
    }

    [Fact]
    public async Task LoadSigningCredentials_ConfiguredRsaKey_SignsRs256()
    {
        using var rsa = RSA.Create(2048);
        var path = _directory.Combine("rsa.pem");
        File.WriteAllText(path, rsa.ExportPkcs8PrivateKeyPem());

        var credentials = TokenKeys.LoadSigningCredentials(path, _directory.Combine("unused.pem"));
        var service = Service(credentials);
        var token = service.Issue("alice", []).Token;

        Assert.Equal(SecurityAlgorithms.RsaSha256, credentials.Algorithm);
        Assert.Equal("RS256", Jwt.Header(token).GetProperty("alg").GetString());
        Assert.NotNull(await service.ValidateAsync(token));
        Assert.False(File.Exists(_directory.Combine("unused.pem")));
    }

    [Fact]
    public async Task LoadValidationKeys_EcCertificate_Es256TokensTrusted()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        using var certificate = new CertificateRequest("CN=ec-issuer", ec, HashAlgorithmName.SHA256).CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        var path = _directory.Combine("ec-issuer.pem");
        File.WriteAllText(path, certificate.ExportCertificatePem());
        var service = new TokenService(new TokenOptions { Issuer = "ext", Service = "wharf", BuiltIn = false }, null, TokenKeys.LoadValidationKeys(path, null), TimeProvider.System);
        var token = Jwt.Create(new SigningCredentials(new ECDsaSecurityKey(ec), SecurityAlgorithms.EcdsaSha256), [Jwt.Grant("team/app", "pull")], issuer: "ext");

        var caller = await service.ValidateAsync(token);

        Assert.NotNull(caller);
    }

    [Fact]
    public async Task LoadValidationKeys_CertificateAndJwks_BothTrusted()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        using var certificate = new CertificateRequest("CN=issuer", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        var certificatePath = _directory.Combine("issuer.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        var ecKey = new ECDsaSecurityKey(ec) { KeyId = "ec-1" };
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(ecKey);
        var jwksPath = _directory.Combine("jwks.json");
        File.WriteAllText(jwksPath, System.Text.Json.JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = jwk.Kty, crv = jwk.Crv, x = jwk.X, y = jwk.Y, kid = "ec-1", use = "sig", alg = "ES256" } },
        }));

        var keys = TokenKeys.LoadValidationKeys(certificatePath, jwksPath);
        var service = new TokenService(new TokenOptions { Issuer = "ext", Service = "wharf", BuiltIn = false }, null, keys, TimeProvider.System);
        var rsaToken = Jwt.Create(new SigningCredentials(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256), [Jwt.Grant("team/app", "pull")], issuer: "ext");
        var ecToken = Jwt.Create(new SigningCredentials(ecKey, SecurityAlgorithms.EcdsaSha256), [Jwt.Grant("team/app", "push")], issuer: "ext");

        Assert.Equal(2, keys.Count);
        Assert.Equal(RegistryAction.Pull, Assert.Single((await service.ValidateAsync(rsaToken))!.Grants!).Actions);
        Assert.Equal(RegistryAction.Push, Assert.Single((await service.ValidateAsync(ecToken))!.Grants!).Actions);
    }
}
