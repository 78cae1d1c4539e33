using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Wharf.Bench;

/// <summary>The registry API calls the workloads make, against one server.</summary>
internal sealed class Registry(HttpClient http, Uri baseUri, bool completesSinglePost)
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";

    /// <summary>What docker sends when it pulls a manifest.</summary>
    public const string DockerAccept =
        "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, " +
        "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " +
        "application/vnd.docker.distribution.manifest.v1+prettyjws, application/json";

    public Uri BaseUri => baseUri;

    public static HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        MaxConnectionsPerServer = int.MaxValue,
    })
    {
        Timeout = TimeSpan.FromMinutes(10),
    };

    public Uri Url(string pathAndQuery) => new(baseUri, pathAndQuery);

    /// <summary>
    /// The whole blob in one request body. Wharf completes <c>POST ?digest=</c> with the body;
    /// distribution 2.8 answers that POST 202 with a session and completes nothing, so for it the
    /// body goes in the PUT that completes the session: the fewest requests it allows.
    /// </summary>
    public async Task PushMonolithicAsync(string repository, Blob blob)
    {
        if (completesSinglePost)
        {
            using var post = new HttpRequestMessage(HttpMethod.Post, Url($"/v2/{repository}/blobs/uploads/?digest={blob.Digest}"))
            {
                Content = blob.Content(0, blob.Length),
            };
            using var _ = await SendAsync(post, HttpStatusCode.Created);
            return;
        }
        var location = await StartUploadAsync(repository);
        using var put = new HttpRequestMessage(HttpMethod.Put, WithDigest(location, blob.Digest)) { Content = blob.Content(0, blob.Length) };
        using var __ = await SendAsync(put, HttpStatusCode.Created);
    }

    /// <summary>PATCHes of <paramref name="chunkSize"/> bytes with Content-Range, then an empty PUT ?digest=.</summary>
    public async Task PushChunkedAsync(string repository, Blob blob, int chunkSize)
    {
        var location = await StartUploadAsync(repository);
        for (long offset = 0; offset < blob.Length; offset += chunkSize)
        {
            var length = Math.Min(chunkSize, blob.Length - offset);
            using var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = blob.Content(offset, length) };
            // The registry form is "<start>-<end>" without the "bytes " unit, so it bypasses the typed header.
            patch.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
            using var response = await SendAsync(patch, HttpStatusCode.Accepted);
            // Distribution changes the Location (its _state token) after every chunk.
            location = Resolve(response.Headers.Location);
        }
        using var put = new HttpRequestMessage(HttpMethod.Put, WithDigest(location, blob.Digest)) { Content = new ByteArrayContent([]) };
        using var _ = await SendAsync(put, HttpStatusCode.Created);
    }

    public async Task<Uri> StartUploadAsync(string repository)
    {
        using var post = new HttpRequestMessage(HttpMethod.Post, Url($"/v2/{repository}/blobs/uploads/")) { Content = new ByteArrayContent([]) };
        using var response = await SendAsync(post, HttpStatusCode.Accepted);
        return Resolve(response.Headers.Location);
    }

    public async Task PushSmallBlobAsync(string repository, string digest, byte[] bytes)
    {
        var (blob, _) = await Blob.CreateAsync(BlobSource.InMemory(bytes), null);
        if (blob.Digest != digest)
        {
            throw new InvalidOperationException("digest mismatch");
        }
        await PushMonolithicAsync(repository, blob);
    }

    public async Task MountAsync(string repository, string digest, string from)
    {
        using var post = new HttpRequestMessage(HttpMethod.Post, Url($"/v2/{repository}/blobs/uploads/?mount={digest}&from={from}"))
        {
            Content = new ByteArrayContent([]),
        };
        using var _ = await SendAsync(post, HttpStatusCode.Created);
    }

    public async Task PutManifestAsync(string repository, string reference, byte[] manifest)
    {
        var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(OciManifest);
        using var put = new HttpRequestMessage(HttpMethod.Put, Url($"/v2/{repository}/manifests/{reference}")) { Content = content };
        using var _ = await SendAsync(put, HttpStatusCode.Created);
    }

    /// <summary>GETs <paramref name="uri"/> (a range of it if given) and counts the body's bytes into <paramref name="buffer"/>.</summary>
    public static async Task<long> ReadAsync(HttpClient http, Uri uri, byte[] buffer, long? from = null, long? to = null)
    {
        using var get = new HttpRequestMessage(HttpMethod.Get, uri);
        if (from is not null)
        {
            get.Headers.Range = new RangeHeaderValue(from, to);
        }
        using var response = await http.SendAsync(get, HttpCompletionOption.ResponseHeadersRead);
        var expected = from is null ? HttpStatusCode.OK : HttpStatusCode.PartialContent;
        if (response.StatusCode != expected)
        {
            throw new HttpRequestException($"GET {uri}: {(int)response.StatusCode}, expected {(int)expected}");
        }
        await using var body = await response.Content.ReadAsStreamAsync();
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            total += read;
        }
        return total;
    }

    /// <summary>
    /// Follows a paginated listing (tags or catalog) through its Link headers, for at most
    /// <paramref name="pages"/> pages; returns the time, the number of pages and the number of
    /// names under <paramref name="property"/>. Fails if the listing is longer and <paramref name="pages"/> was meant to reach its end.
    /// <paramref name="eachPage"/>, if given, gets each page's time (request and parse) and names.
    /// </summary>
    public async Task<(TimeSpan Time, int Pages, int Items)> WalkAsync(string firstPage, string property, int pages, bool toTheEnd = true,
        List<(TimeSpan Time, int Items)>? eachPage = null)
    {
        var clock = Stopwatch.StartNew();
        Uri? next = Url(firstPage);
        int read = 0, items = 0;
        while (next is not null)
        {
            if (read == pages)
            {
                if (!toTheEnd)
                {
                    break;
                }
                throw new InvalidOperationException($"listing did not end after {pages} pages");
            }
            read++;
            var pageStarted = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(next);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new HttpRequestException($"GET {next}: {(int)response.StatusCode}");
            }
            await using var body = await response.Content.ReadAsStreamAsync();
            using var json = await JsonDocument.ParseAsync(body);
            var onPage = json.RootElement.TryGetProperty(property, out var names) && names.ValueKind == JsonValueKind.Array
                ? names.GetArrayLength() : 0;
            items += onPage;
            eachPage?.Add((Stopwatch.GetElapsedTime(pageStarted), onPage));
            next = NextLink(response);
        }
        return (clock.Elapsed, read, items);
    }

    private Uri? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }
        foreach (var value in values)
        {
            var start = value.IndexOf('<');
            var end = value.IndexOf('>');
            if (start >= 0 && end > start && value.Contains("rel=\"next\"", StringComparison.Ordinal))
            {
                return Url(value[(start + 1)..end]);
            }
        }
        return null;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpStatusCode expected)
    {
        var response = await http.SendAsync(request);
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.Dispose();
            throw new HttpRequestException(
                $"{request.Method} {request.RequestUri}: {(int)response.StatusCode}, expected {(int)expected}: {body[..Math.Min(body.Length, 300)]}");
        }
        return response;
    }

    private Uri Resolve(Uri? location) =>
        location is null ? throw new HttpRequestException("no Location header") : location.IsAbsoluteUri ? location : new Uri(baseUri, location);

    private static Uri WithDigest(Uri location, string digest) =>
        // AbsoluteUri, not ToString(): the latter unescapes, and distribution's _state token is escaped base64.
        new(location.AbsoluteUri + (location.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest));
}
