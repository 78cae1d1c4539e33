using System.Collections.Concurrent;
using Wharf.Distribution;
using Wharf.Manifests;
using Wharf.Metadata;
using Wharf.Registry;

namespace Wharf.Proxy;

/// <summary>
/// Makes sure the manifest a proxied pull names is in the local store before it is served from
/// there. By digest: fetched once, then served forever (a digest names its bytes). By tag: served
/// as cached while the upstream's tag TTL lasts; after it, one HEAD to the upstream decides (same
/// digest: trusted for another TTL; another digest: fetched). When the upstream cannot be reached,
/// a cached tag is still served, with a Warning; an uncached one is a 404 naming the upstream.
/// Every manifest served is recorded as pulled (<see cref="ManifestPulls"/>, for Proxy:MaxAge).
/// </summary>
internal sealed class ManifestMirror(ManifestService manifests, ManifestPulls pulls, TimeProvider time)
{
    /// <summary>What the proxy asks upstreams for: every manifest type the registry stores, so
    /// what is cached does not depend on which client happened to pull first.</summary>
    private static readonly string[] ManifestTypes =
        [MediaTypes.OciIndex, MediaTypes.DockerManifestList, MediaTypes.OciManifest, MediaTypes.DockerManifest];

    private readonly ConcurrentDictionary<string, long> _tagCheckedAt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<string?>>> _refreshing = new(StringComparer.Ordinal);

    /// <returns>A <c>Warning</c> header value when the copy served is stale (the upstream is
    /// unreachable), else null.</returns>
    public async Task<string?> EnsureAsync(ProxiedRepository repository, Reference reference, CancellationToken cancellationToken)
    {
        if (reference.Digest is { } digest)
        {
            if (await FindLocalAsync(repository, reference, cancellationToken) is not null)
            {
                ProxyMetrics.Served(repository.Upstream, "manifest", ProxyMetrics.Hit);
                pulls.Record(repository.Local, digest);
                return null;
            }
            await CoalescedAsync($"{repository.Local}@{digest}", () => FetchByDigestAsync(repository, digest), cancellationToken);
            pulls.Record(repository.Local, digest);
            return null;
        }
        var tag = reference.TagName!;
        var key = $"{repository.Local}:{tag}";
        if (_tagCheckedAt.TryGetValue(key, out var checkedAt) && time.GetElapsedTime(checkedAt) < repository.Upstream.Options.TagTtl
            && await FindLocalAsync(repository, reference, cancellationToken) is { } cached)
        {
            ProxyMetrics.Served(repository.Upstream, "manifest", ProxyMetrics.Hit);
            pulls.Record(repository.Local, cached.Digest);
            return null;
        }
        return await CoalescedAsync(key, () => RefreshTagAsync(repository, tag, key), cancellationToken);
    }

    // Clients pulling the same tag at once share one conversation with the upstream. It runs to
    // its end even when the client that started it goes away: the others still wait for it.
    private async Task<string?> CoalescedAsync(string key, Func<Task<string?>> refresh, CancellationToken cancellationToken)
    {
        var lazy = _refreshing.GetOrAdd(key, k => new Lazy<Task<string?>>(async () =>
        {
            try
            {
                return await refresh();
            }
            finally
            {
                _refreshing.TryRemove(k, out var _);
            }
        }));
        return await lazy.Value.WaitAsync(cancellationToken);
    }

    private async Task<ManifestRecord?> FindLocalAsync(ProxiedRepository repository, Reference reference, CancellationToken cancellationToken)
    {
        try
        {
            return (await manifests.GetAsync(repository.Local, reference, cancellationToken)).Record;
        }
        catch (RegistryException e) when (e.Code == ErrorCode.ManifestUnknown)
        {
            return null;
        }
    }

    private async Task<string?> FetchByDigestAsync(ProxiedRepository repository, Digest digest)
    {
        try
        {
            await FetchAsync(repository, digest.ToString(), digest, tag: null);
            ProxyMetrics.Served(repository.Upstream, "manifest", ProxyMetrics.Miss);
            return null;
        }
        catch (UpstreamUnavailableException e)
        {
            ProxyMetrics.Served(repository.Upstream, "manifest", ProxyMetrics.Unavailable);
            throw ProxyErrors.Explained(ErrorCode.ManifestUnknown, $"manifest {digest} is not cached, and {e.Message}");
        }
    }

    private async Task<string?> RefreshTagAsync(ProxiedRepository repository, string tag, string key)
    {
        var local = await FindLocalAsync(repository, Reference.Parse(tag), CancellationToken.None);
        var started = time.GetTimestamp();
        try
        {
            if (local is not null)
            {
                using var head = await repository.Upstream.SendAsync(HttpMethod.Head, repository.Remote, $"manifests/{tag}", ManifestTypes, HttpCompletionOption.ResponseHeadersRead, CancellationToken.None);
                repository.Upstream.EnsureFound(head, () => NotUpstream(repository, tag));
                if (UpstreamDigest(head) == local.Digest)
                {
                    _tagCheckedAt[key] = started;
                    ProxyMetrics.Served(repository.Upstream, "manifest", ProxyMetrics.Hit);
                    // Once for every client that waited on this refresh: they pulled at one moment.
                    pulls.Record(repository.Local, local.Digest);
                    return null;
                }
            }
            pulls.Record(repository.Local, await FetchAsync(repository, tag, expected: null, tag));
            _tagCheckedAt[key] = started;
            ProxyMetrics.Served(repository.Upstream, "manifest", ProxyMetrics.Miss);
            return null;
        }
        catch (UpstreamUnavailableException e) when (local is not null)
        {
            // A stale tag is better than an outage; RFC 9111's code 110 says "stale".
            ProxyMetrics.Served(repository.Upstream, "manifest", ProxyMetrics.Stale);
            pulls.Record(repository.Local, local.Digest);
            return StaleWarning($"{e.Message}; serving the cached {tag}");
        }
        catch (UpstreamUnavailableException e)
        {
            ProxyMetrics.Served(repository.Upstream, "manifest", ProxyMetrics.Unavailable);
            throw ProxyErrors.Explained(ErrorCode.ManifestUnknown, $"manifest {tag} is not cached, and {e.Message}");
        }
    }

    /// <returns>The digest of the manifest stored.</returns>
    private async Task<Digest> FetchAsync(ProxiedRepository repository, string reference, Digest? expected, string? tag)
    {
        using var response = await repository.Upstream.SendAsync(HttpMethod.Get, repository.Remote, $"manifests/{reference}", ManifestTypes, HttpCompletionOption.ResponseHeadersRead, CancellationToken.None);
        repository.Upstream.EnsureFound(response, () => NotUpstream(repository, reference));
        var bytes = await ReadBoundedAsync(repository.Upstream, response, CancellationToken.None);
        var contentType = response.Content.Headers.ContentType?.MediaType;
        // The upstream's own digest is checked when it sends one (a tag pull); a digest pull is
        // checked against the digest asked for.
        var claimed = expected ?? UpstreamDigest(response);
        ManifestRecord stored;
        try
        {
            stored = await manifests.StoreFetchedAsync(repository.Local, bytes, contentType, claimed, tag, CancellationToken.None);
        }
        catch (RegistryException e) when (e.Code is ErrorCode.ManifestInvalid or ErrorCode.ManifestUnknown)
        {
            ProxyMetrics.UpstreamError(repository.Upstream, "bad_manifest");
            throw ProxyErrors.Explained(ErrorCode.ManifestUnknown, $"upstream {repository.Upstream.Name} sent an unusable manifest for {reference}: {e.Detail}");
        }
        ProxyMetrics.UpstreamBytes(repository.Upstream, bytes.Length);
        return stored.Digest;
    }

    private static RegistryException NotUpstream(ProxiedRepository repository, string reference) =>
        ProxyErrors.Explained(ErrorCode.ManifestUnknown, $"manifest {reference} is not in {repository.Remote} on upstream {repository.Upstream.Name}");

    /// <summary>A <c>Warning</c> value (RFC 9111 code 110, "response is stale") with the reason as
    /// its text, reduced to what a quoted header string may hold.</summary>
    internal static string StaleWarning(string text) =>
        $"110 wharf \"{new string([.. text.Select(c => c is >= ' ' and <= '~' and not '"' and not '\\' ? c : '\'')])}\"";

    internal static Digest? UpstreamDigest(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var digest) ? digest : null;

    /// <summary>An upstream's manifest (or referrers index), bounded like a pushed one in size, and
    /// in time by the response timeout: an upstream that stops sending mid-body fails the fetch
    /// rather than holding it (and every pull waiting on it) for ever.</summary>
    internal static async Task<byte[]> ReadBoundedAsync(UpstreamRegistry upstream, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var tooLarge = new UpstreamUnavailableException(upstream.Name, $"sent a manifest larger than {ManifestParser.MaxManifestBytes} bytes");
        if (response.Content.Headers.ContentLength > ManifestParser.MaxManifestBytes)
        {
            throw tooLarge;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(upstream.ResponseTimeout);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            return await ManifestParser.ReadBoundedAsync(body, timeout.Token);
        }
        catch (RegistryException e) when (e.Status == StatusCodes.Status413PayloadTooLarge)
        {
            throw tooLarge;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamUnavailableException(upstream.Name, $"did not finish sending the manifest within {upstream.ResponseTimeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new UpstreamUnavailableException(upstream.Name, $"broke the manifest's transfer off ({e.Message})");
        }
    }
}
