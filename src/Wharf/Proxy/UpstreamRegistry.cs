using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Wharf.Distribution;

namespace Wharf.Proxy;

/// <summary>
/// One mirrored registry: its prefix, its settings and an HTTP client that signs in the way the
/// upstream asks. Requests go out anonymously (or with a token already held); a 401 answer's
/// challenge says how to sign in: Basic with the configured credentials, or Bearer, the Docker
/// token flow (fetch a token for the repository's pull scope from the challenge's realm, keep it
/// until it expires, send it again). Network failures become <see cref="UpstreamUnavailableException"/>.
/// </summary>
internal sealed class UpstreamRegistry : IDisposable
{
    private readonly HttpClient _http;
    private readonly UpstreamTokens _tokens;
    private readonly TimeSpan _responseTimeout;
    private readonly TimeSpan _connectTimeout;
    private volatile bool _basicAsked;

    public UpstreamRegistry(UpstreamOptions options, ProxyOptions proxy)
    {
        Options = options;
        Prefix = options.NormalizedPrefix;
        BaseUrl = new Uri(options.Url.TrimEnd('/') + "/");
        _responseTimeout = proxy.ResponseTimeout;
        _connectTimeout = proxy.ConnectTimeout;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = proxy.ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            // Object stores behind a registry (Docker Hub's blobs) answer with redirects; the
            // handler drops the Authorization header when following one to another host.
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 5,
        };
        if (options.CaFile is { Length: > 0 } caFile)
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(caFile);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => TrustedBy(authorities, certificate, errors),
            };
        }
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("Wharf-proxy/1");
        _tokens = new UpstreamTokens(options.Username, options.Password);
    }

    public UpstreamOptions Options { get; }

    /// <summary>The local prefix; empty for the mirror.</summary>
    public string Prefix { get; }

    public Uri BaseUrl { get; }

    /// <summary>How the upstream is named in messages and metrics.</summary>
    public string Name => BaseUrl.Authority;

    /// <summary>Sends <c>/v2/&lt;remote&gt;/&lt;resource&gt;</c> to the upstream, signing in as it asks.
    /// A 401 the configured credentials cannot answer is returned as it came.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string remoteRepository, string resource, IEnumerable<string>? accept, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        var scope = $"repository:{remoteRepository}:pull";
        var url = new Uri(BaseUrl, $"v2/{remoteRepository}/{resource}");
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, url);
            foreach (var type in accept ?? [])
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            }
            if (_tokens.TryGet(scope) is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            else if (_basicAsked && _tokens.BasicCredentials is { } basic)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
            }
            var response = await SendOnceAsync(request, completion, cancellationToken);
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0)
            {
                return response;
            }
            var challenge = response.Headers.WwwAuthenticate.FirstOrDefault();
            if (challenge is null)
            {
                return response;
            }
            if (string.Equals(challenge.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase))
            {
                response.Dispose();
                await _tokens.FetchAsync(this, challenge, scope, cancellationToken);
            }
            else if (string.Equals(challenge.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) && _tokens.BasicCredentials is not null)
            {
                response.Dispose();
                _basicAsked = true;
            }
            else
            {
                return response;
            }
        }
    }

    /// <summary>How long an upstream that could not be reached is not asked again: pulls meanwhile
    /// get the cached copy (or the failure) at once instead of each waiting out the timeouts.</summary>
    internal static readonly TimeSpan RetryUnreachableAfter = TimeSpan.FromSeconds(5);

    private long _unreachableUntil;
    private string _unreachableReason = "";

    /// <summary>How long an answer (its headers, then a manifest's body) may take.</summary>
    internal TimeSpan ResponseTimeout => _responseTimeout;

    /// <summary>One request, its connection and headers bounded by the configured timeouts;
    /// failures to reach the upstream are reported as such, not as the client's cancellation.
    /// Only a connection that cannot be made marks the upstream unreachable for a while: a slow
    /// or broken answer fails that request alone.</summary>
    internal async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        if (Environment.TickCount64 < Volatile.Read(ref _unreachableUntil))
        {
            throw new UpstreamUnavailableException(Name, $"{_unreachableReason} (tried less than {RetryUnreachableAfter.TotalSeconds:0} s ago)");
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_responseTimeout);
        try
        {
            return await _http.SendAsync(request, completion, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The handler's connect timeout cancels too, before the answer's timeout has run out.
            throw timeout.IsCancellationRequested
                ? new UpstreamUnavailableException(Name, $"did not answer within {_responseTimeout.TotalSeconds:0} s")
                : Unreachable($"is unreachable: no connection within {_connectTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            var reason = "is unreachable: " + (e.InnerException?.Message ?? e.Message);
            throw e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError
                ? Unreachable(reason)
                : new UpstreamUnavailableException(Name, reason);
        }
    }

    private UpstreamUnavailableException Unreachable(string reason)
    {
        _unreachableReason = reason;
        Volatile.Write(ref _unreachableUntil, Environment.TickCount64 + (long)RetryUnreachableAfter.TotalMilliseconds);
        return new UpstreamUnavailableException(Name, reason);
    }

    /// <summary>Passes a success; a 404 is the upstream's answer that it has no such thing
    /// (<paramref name="notFound"/>, passed on to the client as such); any other status means the
    /// upstream cannot serve it now (counted, and thrown as <see cref="UpstreamUnavailableException"/>).</summary>
    public void EnsureFound(HttpResponseMessage response, Func<RegistryException> notFound)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw notFound();
        }
        ProxyMetrics.UpstreamError(this, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
        throw new UpstreamUnavailableException(Name, UpstreamUnavailableException.Answered(response));
    }

    private static bool TrustedBy(X509Certificate2Collection authorities, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false; // no certificate, or one for another name
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = new X509Certificate2(certificate);
        return chain.Build(presented);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>An upstream that could not be reached, refused the proxy or sent something unusable:
/// what a stale tag, or a 404 naming the upstream, is served for.</summary>
internal sealed class UpstreamUnavailableException(string upstream, string reason)
    : Exception($"upstream {upstream} {reason}")
{
    public string Upstream { get; } = upstream;

    /// <summary>The reason for an error status; a refusal names the settings that would fix it.</summary>
    public static string Answered(HttpResponseMessage response) =>
        $"answered {(int)response.StatusCode} {response.ReasonPhrase}" + (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
            ? " (its Username and Password settings are missing or not allowed to pull this repository)"
            : "");
}
