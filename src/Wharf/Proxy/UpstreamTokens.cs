using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Wharf.Proxy;

/// <summary>
/// The Docker token flow from the client side: a Bearer challenge names a realm (the token
/// endpoint), a service and a scope; a GET of the realm with those (and the configured credentials
/// as Basic, when there are any) answers a token and its lifetime. Tokens are kept per scope until
/// shortly before they expire.
/// </summary>
internal sealed class UpstreamTokens(string? username, string? password)
{
    /// <summary>The lifetime the token specification assumes when the answer names none.</summary>
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, (string Token, long ExpiresAt)> _byScope = new(StringComparer.Ordinal);

    public string? BasicCredentials { get; } = string.IsNullOrEmpty(username)
        ? null
        : Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));

    public string? TryGet(string scope) =>
        _byScope.TryGetValue(scope, out var held) && Environment.TickCount64 < held.ExpiresAt ? held.Token : null;

    public async Task FetchAsync(UpstreamRegistry upstream, AuthenticationHeaderValue challenge, string scope, CancellationToken cancellationToken)
    {
        var parameters = ChallengeParameters(challenge.Parameter ?? "");
        if (!parameters.TryGetValue("realm", out var realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUrl) || realmUrl.Scheme is not ("http" or "https"))
        {
            throw new UpstreamUnavailableException(upstream.Name, "names no usable token realm in its Bearer challenge");
        }
        var query = new StringBuilder(realmUrl.Query.Length > 0 ? realmUrl.Query.TrimStart('?') + "&" : "");
        if (parameters.TryGetValue("service", out var service))
        {
            query.Append("service=").Append(Uri.EscapeDataString(service)).Append('&');
        }
        // The scope asked for is the repository's pull, whatever the challenge named.
        query.Append("scope=").Append(Uri.EscapeDataString(scope));
        using var request = new HttpRequestMessage(HttpMethod.Get, new UriBuilder(realmUrl) { Query = query.ToString() }.Uri);
        if (BasicCredentials is { } basic)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
        }
        using var response = await upstream.SendOnceAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // Wrong credentials (or none where some are needed): the request goes on without a
            // token and the upstream's own 401 is what the caller sees.
            return;
        }
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var json = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        var root = json.RootElement;
        var token = root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()
            : root.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()
            : null;
        if (string.IsNullOrEmpty(token))
        {
            throw new UpstreamUnavailableException(upstream.Name, "answered no token from its token service");
        }
        var lifetime = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : DefaultLifetime;
        // Renewed a little early, so a token never expires between being chosen and being checked.
        _byScope[scope] = (token, Environment.TickCount64 + (long)(lifetime.TotalMilliseconds * 0.9));
    }

    /// <summary>The <c>key="value"</c> pairs of a challenge (RFC 9110 11.2 auth-params).</summary>
    internal static Dictionary<string, string> ChallengeParameters(string text)
    {
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i])))
            {
                i++;
            }
            var equals = text.IndexOf('=', i);
            if (equals < 0)
            {
                break;
            }
            var key = text[i..equals].Trim();
            i = equals + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var quoted = new StringBuilder();
                for (i++; i < text.Length && text[i] != '"'; i++)
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }
                    quoted.Append(text[i]);
                }
                i++; // the closing quote
                value = quoted.ToString();
            }
            else
            {
                var end = text.IndexOf(',', i);
                value = (end < 0 ? text[i..] : text[i..end]).Trim();
                i = end < 0 ? text.Length : end;
            }
            if (key.Length > 0)
            {
                parameters[key] = value;
            }
        }
        return parameters;
    }
}
