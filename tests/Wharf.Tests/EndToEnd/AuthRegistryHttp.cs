using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Wharf.Tests.EndToEnd;

/// <summary>What one request answered, after any challenge was followed.</summary>
public sealed record AuthHttpResult(string Request, HttpStatusCode Status, Version Version, string Body, string? Digest, string? Challenge)
{
    public override string ToString() =>
        $"{Request} answered {(int)Status} (HTTP/{Version})" + (Challenge is null ? "" : $" WWW-Authenticate: {Challenge}") + $"\n{Body}";
}

/// <summary>
/// Raw HTTP checks against a server with authentication on, answering challenges as registry clients
/// do: a request goes out anonymously first; a Basic challenge is answered with the credentials, a
/// Bearer challenge by asking its realm for a token (with the credentials, if any, as Basic) for the
/// challenge's service and scope, then the request is sent again with that token. Used to check what
/// the server really holds after a tool said it pushed (or refused to).
/// </summary>
public static partial class AuthRegistryHttp
{
    private static readonly string[] ManifestTypes =
    [
        OciLayout.ManifestMediaType,
        OciLayout.IndexMediaType,
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ];

    /// <summary>GET /v2/NAME/manifests/REF as <paramref name="user"/> (null: anonymous).</summary>
    public static Task<AuthHttpResult> GetManifestAsync(WharfProcess wharf, string repository, string reference, string? user, string? password) =>
        SendAsync(wharf, HttpMethod.Get, $"v2/{repository}/manifests/{reference}", user, password);

    /// <summary>Asked as <paramref name="user"/> (one who may read it), <paramref name="repository"/>:<paramref name="tag"/> is <paramref name="digest"/>.</summary>
    public static async Task AssertManifestAsync(WharfProcess wharf, string repository, string tag, string digest, string user, string password)
    {
        var served = await GetManifestAsync(wharf, repository, tag, user, password);
        Assert.True(served.Status == HttpStatusCode.OK && served.Digest == digest,
            $"Expected {repository}:{tag} to be {digest}.\n{served}\nWharf output:\n{wharf.RecentOutput(40)}");
    }

    /// <summary>Even <paramref name="user"/> (one who may read everything) finds no
    /// <paramref name="repository"/>:<paramref name="tag"/>: a refused push left nothing.</summary>
    public static async Task AssertNoManifestAsync(WharfProcess wharf, string repository, string tag, string user, string password)
    {
        var served = await GetManifestAsync(wharf, repository, tag, user, password);
        Assert.True(served.Status == HttpStatusCode.NotFound,
            $"Expected no {repository}:{tag} after a refused push.\n{served}\nWharf output:\n{wharf.RecentOutput(40)}");
    }

    /// <summary>Sends the request, following one Basic or Bearer challenge.</summary>
    public static async Task<AuthHttpResult> SendAsync(
        WharfProcess wharf, HttpMethod method, string path, string? user, string? password, Version? version = null)
    {
        using var http = wharf.CreateClient(TimeSpan.FromSeconds(30));
        if (version is not null)
        {
            http.DefaultRequestVersion = version;
            http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        var first = await SendOnceAsync(http, method, path, authorization: null);
        if (first.Status != HttpStatusCode.Unauthorized || first.Challenge is null)
        {
            return first;
        }

        if (first.Challenge.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return user is null ? first : await SendOnceAsync(http, method, path, BasicHeader(user, password));
        }

        if (!first.Challenge.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"Unknown challenge scheme: {first}");
        }

        var parameters = ChallengeParameter().Matches(first.Challenge)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.OrdinalIgnoreCase);
        Assert.True(parameters.TryGetValue("realm", out var realm), $"Bearer challenge without realm: {first}");
        var query = new StringBuilder("?service=").Append(Uri.EscapeDataString(parameters.GetValueOrDefault("service") ?? ""));
        if (parameters.TryGetValue("scope", out var scope))
        {
            query.Append("&scope=").Append(Uri.EscapeDataString(scope));
        }

        var tokenAnswer = await SendOnceAsync(http, HttpMethod.Get, realm + query,
            user is null ? null : BasicHeader(user, password));
        if (tokenAnswer.Status != HttpStatusCode.OK)
        {
            return tokenAnswer; // the token service refused: that is the answer
        }

        using var json = JsonDocument.Parse(tokenAnswer.Body);
        var token = json.RootElement.GetProperty("token").GetString();
        return await SendOnceAsync(http, method, path, new AuthenticationHeaderValue("Bearer", token));
    }

    /// <summary>GET /auth/token as the token service's clients ask for it.</summary>
    public static async Task<(AuthHttpResult Answer, string? Token)> GetTokenAsync(
        WharfProcess wharf, string query, string? user, string? password, Version? version = null)
    {
        using var http = wharf.CreateClient(TimeSpan.FromSeconds(30));
        if (version is not null)
        {
            http.DefaultRequestVersion = version;
            http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        var answer = await SendOnceAsync(http, HttpMethod.Get, "auth/token" + query, user is null ? null : BasicHeader(user, password));
        if (answer.Status != HttpStatusCode.OK)
        {
            return (answer, null);
        }

        using var json = JsonDocument.Parse(answer.Body);
        return (answer, json.RootElement.GetProperty("token").GetString());
    }

    public static AuthenticationHeaderValue BasicHeader(string user, string? password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public static async Task<AuthHttpResult> SendOnceAsync(HttpClient http, HttpMethod method, string uri, AuthenticationHeaderValue? authorization)
    {
        // A message built here does not take the client's default version: copy it.
        using var request = new HttpRequestMessage(method, uri)
        {
            Version = http.DefaultRequestVersion,
            VersionPolicy = http.DefaultVersionPolicy,
        };
        request.Headers.Authorization = authorization;
        foreach (var type in ManifestTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var digests) ? digests.FirstOrDefault() : null;
        var challenge = response.Headers.TryGetValues("WWW-Authenticate", out var challenges) ? challenges.FirstOrDefault() : null;
        var shown = $"{method} {new Uri(http.BaseAddress!, uri)}" + (authorization is null ? "" : $" ({authorization.Scheme})");
        return new AuthHttpResult(shown, response.StatusCode, response.Version, body, digest, challenge);
    }

    [GeneratedRegex("(\\w+)=\"([^\"]*)\"")]
    private static partial Regex ChallengeParameter();
}
