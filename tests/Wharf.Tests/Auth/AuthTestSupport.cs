using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Wharf.Tests.Api;

namespace Wharf.Tests.Auth;

/// <summary>The users every auth test knows, and htpasswd files for them (bcrypt at cost 4, so
/// checking a password costs about a millisecond).</summary>
public static class TestUsers
{
    public const string Alice = "alice";
    public const string AlicePassword = "alice-secret";
    public const string Bob = "bob";
    public const string BobPassword = "bob-secret";

    /// <summary>A member of the <c>readers</c> group (pull on team/*), named by no rule directly.</summary>
    public const string Carol = "carol";
    public const string CarolPassword = "carol-secret";

    /// <summary>Signed in, but named by no rule and in no group.</summary>
    public const string Dave = "dave";
    public const string DavePassword = "dave-secret";

    public static readonly (string User, string Password)[] All =
        [(Alice, AlicePassword), (Bob, BobPassword), (Carol, CarolPassword), (Dave, DavePassword)];

    public static string HtpasswdLine(string user, string password) => $"{user}:{BCrypt.Net.BCrypt.HashPassword(password, 4)}";

    public static string WriteHtpasswd(string directory, params (string User, string Password)[] users)
    {
        var path = Path.Combine(directory, "htpasswd");
        File.WriteAllLines(path, users.Select(u => HtpasswdLine(u.User, u.Password)));
        return path;
    }

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
}

/// <summary>A fresh directory under the system temp directory, removed with everything in it.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "wharf-auth-")
    {
        FullPath = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(FullPath);
    }

    public string FullPath { get; }

    public string Combine(params string[] parts) => Path.Combine([FullPath, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(FullPath, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>Configuration keys for the <c>Auth</c> section, as the factory takes them.</summary>
public static class AuthSettings
{
    /// <summary>The access rules of examples/auth/wharf.yaml, plus a group, a delete rule and
    /// more users: alice pulls and pushes team/*, and may also delete in scratch/*; carol (group
    /// readers) pulls team/*; dave is named by no rule; bob is an admin; anyone pulls public/**.</summary>
    public static List<(string Key, string Value)> Standard(string mode, string htpasswd) =>
    [
        ("Auth:Mode", mode),
        ("Auth:Htpasswd", htpasswd),
        ("Auth:Realm", "Wharf Test"),
        ("Auth:Admins:0", TestUsers.Bob),
        ("Auth:AnonymousPull:0", "public/**"),
        ("Auth:Groups:readers:0", TestUsers.Carol),
        ("Auth:Rules:0:Repositories:0", "team/*"),
        ("Auth:Rules:0:Users:0", TestUsers.Alice),
        ("Auth:Rules:0:Actions:0", "pull"),
        ("Auth:Rules:0:Actions:1", "push"),
        ("Auth:Rules:1:Repositories:0", "team/*"),
        ("Auth:Rules:1:Groups:0", "readers"),
        ("Auth:Rules:1:Actions:0", "pull"),
        ("Auth:Rules:2:Repositories:0", "scratch/*"),
        ("Auth:Rules:2:Users:0", TestUsers.Alice),
        ("Auth:Rules:2:Actions:0", "*"),
        // In process every request comes from the same (or no) address: keep the throttle out of
        // the way of the tests that send a wrong password now and then.
        ("Auth:MaxFailedLogins", "100000"),
    ];
}

/// <summary>An in-process Wharf with authentication, its htpasswd file and clients for each user.</summary>
public abstract class AuthRegistryFixture : IDisposable
{
    private readonly TempDir _directory = new();

    protected AuthRegistryFixture(bool kestrel = false)
    {
        Htpasswd = TestUsers.WriteHtpasswd(_directory.FullPath, TestUsers.All);
        Factory = new WharfApiFactory([.. Settings(Htpasswd, _directory)]);
        if (kestrel)
        {
            Factory.UseKestrel(0);
        }
        // Start now: the built-in key and the database exist before the first test runs.
        using var client = Factory.CreateClient();
    }

    public WharfApiFactory Factory { get; }

    public string Htpasswd { get; }

    public string Directory => _directory.FullPath;

    protected abstract IEnumerable<(string Key, string Value)> Settings(string htpasswd, TempDir directory);

    public HttpClient Anonymous() => Factory.CreateClient();

    public HttpClient As(string user, string password)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = TestUsers.Basic(user, password);
        return client;
    }

    /// <summary>Sends a request whose Authorization header is taken as written, malformed or not
    /// (the typed header API would refuse to build the hostile ones).</summary>
    public async Task<HttpResponseMessage> SendWithRawAuthorizationAsync(HttpMethod method, string path, string authorization)
    {
        using var client = Factory.CreateClient();
        using var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await client.SendAsync(request);
    }

    public HttpClient WithBearer(string token)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public void Dispose()
    {
        Factory.Dispose();
        _directory.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>JWT reading and forging for the token tests.</summary>
public static class Jwt
{
    public static JsonElement Payload(string token) => Part(token, 1);

    public static JsonElement Header(string token) => Part(token, 0);

    private static JsonElement Part(string token, int index)
    {
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        using var document = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(parts[index]));
        return document.RootElement.Clone();
    }

    /// <summary>The <c>access</c> claim as (type, name, sorted actions).</summary>
    public static List<(string Type, string Name, string Actions)> Access(string token)
    {
        var access = Payload(token).GetProperty("access");
        return access.EnumerateArray()
            .Select(e => (
                e.GetProperty("type").GetString()!,
                e.GetProperty("name").GetString()!,
                string.Join(',', e.GetProperty("actions").EnumerateArray().Select(a => a.GetString()).Order(StringComparer.Ordinal))))
            .ToList();
    }

    /// <summary>One entry of an access claim.</summary>
    public static Dictionary<string, object> Grant(string name, params string[] actions) => new()
    {
        ["type"] = "repository",
        ["name"] = name,
        ["actions"] = actions.Cast<object>().ToList(),
    };

    /// <summary>A signed JWT with the registry protocol's claims; every part can be chosen.</summary>
    public static string Create(
        SigningCredentials credentials,
        IEnumerable<Dictionary<string, object>> access,
        string issuer = "wharf",
        string audience = "wharf",
        string subject = "alice",
        DateTime? notBefore = null,
        DateTime? expires = null,
        IDictionary<string, object>? extraHeader = null)
    {
        var now = DateTime.UtcNow;
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        var nbf = notBefore ?? now.AddSeconds(-5);
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = nbf,
            NotBefore = nbf,
            Expires = expires ?? now.AddMinutes(5),
            SigningCredentials = credentials,
            AdditionalHeaderClaims = extraHeader,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = subject,
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
                ["access"] = access.Cast<object>().ToList(),
            },
        });
    }

    /// <summary>An unsigned token (<c>alg: none</c>) with the given access claim.</summary>
    public static string Unsigned(IEnumerable<Dictionary<string, object>> access, string issuer = "wharf", string audience = "wharf")
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = JsonSerializer.Serialize(new Dictionary<string, object> { ["alg"] = "none", ["typ"] = "JWT" });
        var payload = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["iss"] = issuer,
            ["aud"] = audience,
            ["sub"] = "alice",
            ["nbf"] = now - 5,
            ["iat"] = now - 5,
            ["exp"] = now + 300,
            ["access"] = access.ToList(),
        });
        return $"{Base64UrlEncoder.Encode(header)}.{Base64UrlEncoder.Encode(payload)}.";
    }

    /// <summary>The same token with one character of its signature changed.</summary>
    public static string AlterSignature(string token)
    {
        var dot = token.LastIndexOf('.');
        var signature = token[(dot + 1)..].ToCharArray();
        var i = signature.Length / 2;
        signature[i] = signature[i] == 'A' ? 'B' : 'A';
        return token[..(dot + 1)] + new string(signature);
    }

    /// <summary>The same token with its payload replaced (signature kept): a claim edited after signing.</summary>
    public static string ReplacePayload(string token, string payloadJson)
    {
        var parts = token.Split('.');
        return $"{parts[0]}.{Base64UrlEncoder.Encode(payloadJson)}.{parts[2]}";
    }

    /// <summary>The built-in service's generated key, read from the storage root the way Wharf keeps it.</summary>
    public static SigningCredentials RegistryKey(string storageRoot)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(File.ReadAllText(Path.Combine(storageRoot, "token-signing-key.pem")));
        var key = new ECDsaSecurityKey(ecdsa);
        key.KeyId = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        return new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256);
    }

    /// <summary>A fresh EC P-256 key nobody trusts.</summary>
    public static SigningCredentials StrangerKey()
    {
        var key = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        key.KeyId = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        return new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256);
    }
}

/// <summary>Reading the spec's error body and checking it reveals nothing internal.</summary>
public static class ErrorBody
{
    private static readonly string[] InternalMarkers =
        ["Exception", "   at ", ".cs:line", "System.", "Microsoft.", "Wharf.", "StackTrace", "stack trace"];

    public static async Task<string> AssertAsync(HttpResponseMessage response, System.Net.HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
        Assert.Equal(code, CodeOf(body));
        AssertNothingInternal(body);
        return body;
    }

    public static string? CodeOf(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.GetProperty("errors")[0].GetProperty("code").GetString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public static void AssertNothingInternal(string body)
    {
        foreach (var marker in InternalMarkers)
        {
            Assert.False(body.Contains(marker, StringComparison.Ordinal), $"the response body reveals internals ('{marker}'): {body}");
        }
    }

    /// <summary>The parameters of a <c>WWW-Authenticate</c> challenge, e.g. realm, service, scope, error.</summary>
    public static Dictionary<string, string> ChallengeParameters(string challenge)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var space = challenge.IndexOf(' ', StringComparison.Ordinal);
        result["scheme"] = challenge[..space];
        foreach (System.Text.RegularExpressions.Match match in System.Text.RegularExpressions.Regex.Matches(challenge[(space + 1)..], "([a-z_]+)=\"([^\"]*)\""))
        {
            result[match.Groups[1].Value] = match.Groups[2].Value;
        }
        return result;
    }

    public static string Challenge(HttpResponseMessage response) => response.Headers.WwwAuthenticate.Single().ToString();
}

/// <summary>Pushing small images with whatever client (and credentials) a test holds.</summary>
public static class Push
{
    public static Task<(string Json, string Digest)> ImageAsync(HttpClient client, string repository, string tag = "v1", string? seed = null) =>
        new RegistryClient(client).PushImageAsync(repository, tag, seed ?? repository);

    public static async Task<HttpResponseMessage> BlobAsync(HttpClient client, string repository, byte[] bytes)
    {
        var digest = RegistryClient.DigestOf(bytes);
        return await client.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", new ByteArrayContent(bytes));
    }
}
