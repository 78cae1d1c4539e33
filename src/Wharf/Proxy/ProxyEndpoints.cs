using System.Text.Json;
using Wharf.Api;
using Wharf.Distribution;
using Wharf.Registry;

namespace Wharf.Proxy;

/// <summary>
/// The registry API for repositories under an upstream's prefix. Pulls make sure the content is
/// cached, then are answered by the ordinary endpoints from the local store, so caching changes
/// nothing of how content is served (ranges, conditional requests, zero-copy sends). An uncached
/// blob is streamed to the client while it is fetched. Pushes are refused: the upstream owns these
/// repositories. Deletes evict from the cache, as for local repositories.
/// </summary>
internal static class ProxyEndpoints
{
    /// <summary>The upstream a request's repository belongs to, or null for a local repository
    /// (and for the routes that name none).</summary>
    public static ProxiedRepository? Match(HttpContext context, RegistryRoute route) =>
        route.Kind is RouteKind.Base or RouteKind.Catalog || context.RequestServices.GetService<PullThrough>() is not { } pullThrough
            ? null
            : pullThrough.Match(RepositoryName.Parse(route.Name));

    /// <summary>Handles the request, or returns null to leave it to the ordinary endpoints.</summary>
    public static Task? HandleAsync(HttpContext context, RegistryRoute route, string method, ProxiedRepository proxied) => (route.Kind, method) switch
    {
        // Read-only (maintenance) means nothing is written, a cache fill included: what is cached
        // is served as it is, the rest is not found.
        (RouteKind.Manifest or RouteKind.Blob, "GET" or "HEAD") when context.RequestServices.GetRequiredService<Operations.IReadOnlyMode>().IsReadOnly => null,
        (RouteKind.Manifest, "GET" or "HEAD") => GetManifestAsync(context, route, proxied),
        (RouteKind.Blob, "GET" or "HEAD") => GetBlobAsync(context, route, proxied),
        (RouteKind.Tags, "GET") => ListTagsAsync(context, proxied),
        (RouteKind.Referrers, "GET") => ListReferrersAsync(context, route, proxied),
        (RouteKind.Manifest, "PUT") or (RouteKind.UploadStart or RouteKind.Upload, "POST" or "PATCH" or "PUT") =>
            throw ProxyErrors.Explained(ErrorCode.Denied,
                $"repository {proxied.Local} is a pull-through cache of {proxied.Remote} on {proxied.Upstream.Name}; push to the upstream instead"),
        _ => null,
    };

    private static async Task GetManifestAsync(HttpContext context, RegistryRoute route, ProxiedRepository proxied)
    {
        var reference = ManifestEndpoints.LookupReference(proxied.Local, route.Argument);
        var mirror = context.RequestServices.GetRequiredService<ManifestMirror>();
        for (var attempt = 1; ; attempt++)
        {
            var warning = await mirror.EnsureAsync(proxied, reference, context.RequestAborted);
            if (warning is not null)
            {
                context.Response.Headers.Warning = warning;
            }
            try
            {
                await ManifestEndpoints.GetAsync(context, route.Name, route.Argument);
                return;
            }
            catch (RegistryException e) when (e.Code == ErrorCode.ManifestUnknown && attempt == 1 && !context.Response.HasStarted)
            {
                // Expired (Proxy:MaxAge) or deleted between the check and the read: fetched again.
                context.Response.Headers.Remove("Warning");
            }
        }
    }

    private static async Task GetBlobAsync(HttpContext context, RegistryRoute route, ProxiedRepository proxied)
    {
        var digest = Digest.Parse(route.Argument);
        var blobs = context.RequestServices.GetRequiredService<BlobService>();
        if (await IsLinkedAsync(blobs, proxied, digest, context.RequestAborted))
        {
            ProxyMetrics.Served(proxied.Upstream, "blob", ProxyMetrics.Hit);
            await BlobEndpoints.GetAsync(context, route.Name, route.Argument);
            return;
        }
        if (HttpMethods.IsHead(context.Request.Method))
        {
            // Clients check layers they may never pull: the upstream is asked, nothing is fetched.
            ContentResults.WriteHeadHeaders(context, digest, MediaTypes.OctetStream, await AskUpstreamAsync(proxied, digest, context.RequestAborted));
            return;
        }
        // Held for another repository: linked here without moving a byte, once the upstream says
        // this repository has it too (a cached copy is no reason to serve it under any name).
        if (await context.RequestServices.GetRequiredService<Metadata.IMetadataStore>().GetBlobSizeAsync(digest, context.RequestAborted) is not null
            && await AskUpstreamAsync(proxied, digest, context.RequestAborted) >= 0
            && await blobs.TryMountAsync(proxied.Local, digest, from: null, context.RequestAborted) is not null)
        {
            ProxyMetrics.Served(proxied.Upstream, "blob", ProxyMetrics.Hit);
            await BlobEndpoints.GetAsync(context, route.Name, route.Argument);
            return;
        }
        var fetch = context.RequestServices.GetRequiredService<BlobFetches>().Join(proxied, digest);
        try
        {
            if (ContentResults.IsPlainGet(context.Request))
            {
                await BlobRelay.SendAsync(context, fetch);
            }
            else
            {
                // A range (or a conditional GET) of a blob on its way: answered once it is stored.
                await fetch.Finished.Task.WaitAsync(context.RequestAborted);
                await BlobEndpoints.GetAsync(context, route.Name, route.Argument);
            }
        }
        finally
        {
            fetch.Release();
        }
        if (fetch.Repository.Local != proxied.Local)
        {
            // Fetched for another repository's pull: linked here too, once it is stored.
            await fetch.Finished.Task.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            if (fetch.Finished.Task.IsCompletedSuccessfully)
            {
                await blobs.TryMountAsync(proxied.Local, digest, from: null, CancellationToken.None);
            }
        }
    }

    private static async Task<bool> IsLinkedAsync(BlobService blobs, ProxiedRepository proxied, Digest digest, CancellationToken cancellationToken)
    {
        try
        {
            await blobs.GetSizeAsync(proxied.Local, digest, cancellationToken);
            return true;
        }
        catch (RegistryException e) when (e.Code == ErrorCode.BlobUnknown)
        {
            return false;
        }
    }

    /// <summary>The blob's size as the upstream has it in this repository (a HEAD, no bytes);
    /// BLOB_UNKNOWN when it does not have it or cannot be asked.</summary>
    private static async Task<long> AskUpstreamAsync(ProxiedRepository proxied, Digest digest, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await proxied.Upstream.SendAsync(HttpMethod.Head, proxied.Remote, $"blobs/{digest}", null, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            proxied.Upstream.EnsureFound(response, () => ProxyErrors.Explained(ErrorCode.BlobUnknown, $"blob {digest} is not in {proxied.Remote} on upstream {proxied.Upstream.Name}"));
            if (response.Content.Headers.ContentLength is not { } size)
            {
                throw new UpstreamUnavailableException(proxied.Upstream.Name, "answered without the blob's length");
            }
            return size;
        }
        catch (UpstreamUnavailableException e)
        {
            throw ProxyErrors.Explained(ErrorCode.BlobUnknown, $"blob {digest} is not cached, and {e.Message}");
        }
    }

    /// <summary>The upstream's tags (paginated as asked); the cached ones, with a Warning, when the
    /// upstream cannot be reached.</summary>
    private static async Task ListTagsAsync(HttpContext context, ProxiedRepository proxied)
    {
        var pagination = Pagination.FromQuery(context);
        // Rebuilt from the parsed parameters: nothing else of the client's query goes upstream.
        var query = pagination.N is { } n ? $"?n={n}" : "";
        if (pagination.Last is { } last)
        {
            query += (query.Length == 0 ? "?" : "&") + "last=" + Uri.EscapeDataString(last);
        }
        List<string> tags;
        bool hasMore;
        try
        {
            using var response = await proxied.Upstream.SendAsync(HttpMethod.Get, proxied.Remote, "tags/list" + query, null, HttpCompletionOption.ResponseContentRead, context.RequestAborted);
            proxied.Upstream.EnsureFound(response, () => ProxyErrors.Explained(ErrorCode.NameUnknown, $"repository {proxied.Remote} is not on upstream {proxied.Upstream.Name}"));
            tags = await ReadTagsAsync(proxied, response, context.RequestAborted);
            hasMore = response.Headers.Contains("Link");
        }
        catch (UpstreamUnavailableException e)
        {
            context.Response.Headers.Warning = ManifestMirror.StaleWarning($"{e.Message}; listing the cached tags");
            await TagEndpoints.ListAsync(context, proxied.Local.Value);
            return;
        }
        pagination.AddNextLink(context, $"/v2/{proxied.Local}/tags/list", new Metadata.Page<string>(tags, hasMore));
        await ApiJsonWriter.WriteAsync(context, new TagList(proxied.Local.Value, tags), ApiJson.Default.TagList, "application/json");
    }

    private static async Task<List<string>> ReadTagsAsync(ProxiedRepository proxied, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var json = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
            var tags = new List<string>();
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("tags", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var tag in list.EnumerateArray())
                {
                    if (tag.ValueKind == JsonValueKind.String)
                    {
                        tags.Add(tag.GetString()!);
                    }
                }
            }
            return tags;
        }
        catch (JsonException e)
        {
            throw new UpstreamUnavailableException(proxied.Upstream.Name, $"sent a tag list that is not JSON ({e.Message})");
        }
    }

    /// <summary>The upstream's referrers, as it lists them (the manifests themselves are fetched
    /// when pulled); the cached ones when the upstream has no referrers API or cannot be reached.</summary>
    private static async Task ListReferrersAsync(HttpContext context, RegistryRoute route, ProxiedRepository proxied)
    {
        var subject = Digest.Parse(route.Argument);
        try
        {
            using var response = await proxied.Upstream.SendAsync(HttpMethod.Get, proxied.Remote, $"referrers/{subject}{ArtifactTypeQuery(context)}", [MediaTypes.OciIndex], HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
            if (response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == MediaTypes.OciIndex)
            {
                // Read whole (an index is bounded like any manifest), so a failure mid-way still
                // falls back to the cached list instead of cutting the client's answer.
                var index = await ManifestMirror.ReadBoundedAsync(proxied.Upstream, response, context.RequestAborted);
                context.Response.ContentType = MediaTypes.OciIndex;
                context.Response.ContentLength = index.Length;
                if (response.Headers.TryGetValues("OCI-Filters-Applied", out var filters))
                {
                    context.Response.Headers["OCI-Filters-Applied"] = filters.ToArray();
                }
                await context.Response.Body.WriteAsync(index, context.RequestAborted);
                return;
            }
        }
        catch (UpstreamUnavailableException e)
        {
            context.Response.Headers.Warning = ManifestMirror.StaleWarning($"{e.Message}; listing the cached referrers");
        }
        await ReferrerEndpoints.ListAsync(context, route.Name, route.Argument);
    }

    private static string ArtifactTypeQuery(HttpContext context) =>
        context.Request.Query["artifactType"].ToString() is { Length: > 0 } artifactType ? "?artifactType=" + Uri.EscapeDataString(artifactType) : "";
}
