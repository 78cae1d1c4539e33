using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Wharf.Tests.Api;

namespace Wharf.Tests.Proxy;

/// <summary>
/// The pull-through cache in process, in front of a <see cref="FakeUpstream"/> that counts what it
/// is asked: what is fetched once and served from the cache after, tag TTLs, stale and unreachable
/// upstreams, blobs streamed to concurrent clients from one fetch, wrong bytes, the token flow,
/// pushes refused.
/// </summary>
public sealed class ProxyApiTests : IAsyncLifetime
{
    private const string AcceptOci = Api.Manifests.OciManifestType;
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private WharfApiFactory Proxy(params (string Key, string Value)[] extra) =>
        new([("Proxy:Upstreams:0:Prefix", "up.test"), ("Proxy:Upstreams:0:Url", _upstream.Url.ToString()), .. extra]);

    private static Task<HttpResponseMessage> GetManifestAsync(HttpClient http, string name, string reference, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, $"/v2/{name}/manifests/{reference}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(AcceptOci));
        return http.SendAsync(request);
    }

    private static byte[] Layer(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task TagPull_FetchedOnce_ThenServedFromTheCacheWithinItsTtl()
    {
        var image = _upstream.AddImage("library/app", "1.0", Layer(1000, 1));
        using var proxy = Proxy();
        var http = proxy.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            using var response = await GetManifestAsync(http, "up.test/library/app", "1.0");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(image.Manifest, await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(image.Digest, response.Headers.GetValues("Docker-Content-Digest").Single());
        }

        Assert.Equal(1, _upstream.Count("GET", "/library/app/manifests/1.0"));
        Assert.Equal(0, _upstream.Count("HEAD", "/library/app/manifests/1.0"));
    }

    [Fact]
    public async Task TagAfterItsTtl_OneHeadDecides_SameDigestIsNotFetchedAgain_AMovedTagIs()
    {
        _upstream.AddImage("library/app", "1.0", Layer(1000, 2));
        using var proxy = Proxy(("Proxy:Upstreams:0:TagTtl", "00:00:00.300"));
        var http = proxy.CreateClient();
        (await GetManifestAsync(http, "up.test/library/app", "1.0")).EnsureSuccessStatusCode();

        await Task.Delay(400);
        (await GetManifestAsync(http, "up.test/library/app", "1.0")).EnsureSuccessStatusCode();
        Assert.Equal(1, _upstream.Count("HEAD", "/library/app/manifests/1.0"));
        Assert.Equal(1, _upstream.Count("GET", "/library/app/manifests/1.0"));

        var moved = _upstream.AddImage("library/app", "1.0", Layer(1000, 3));
        using (var before = await GetManifestAsync(http, "up.test/library/app", "1.0"))
        {
            Assert.NotEqual(moved.Digest, before.Headers.GetValues("Docker-Content-Digest").Single()); // still within the TTL
        }
        await Task.Delay(400);
        using var after = await GetManifestAsync(http, "up.test/library/app", "1.0");
        Assert.Equal(moved.Digest, after.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(moved.Manifest, await after.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task DigestPull_IsServedFromTheCacheForever_EvenWhenTheUpstreamLostIt()
    {
        var image = _upstream.AddImage("library/app", "1.0", Layer(1000, 4));
        using var proxy = Proxy(("Proxy:Upstreams:0:TagTtl", "00:00:00"));
        var http = proxy.CreateClient();
        (await GetManifestAsync(http, "up.test/library/app", image.Digest)).EnsureSuccessStatusCode();
        _upstream.RemoveTag("library/app", "1.0");

        using var again = await GetManifestAsync(http, "up.test/library/app", image.Digest);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, _upstream.Count("GET", $"/manifests/{image.Digest}"));
        Assert.Equal(0, _upstream.Count("HEAD", $"/manifests/{image.Digest}"));
    }

    [Fact]
    public async Task Blob_IsStreamedOnce_ThenServedFromTheCache_AndARangeOfItWorks()
    {
        var layer = Layer(3 * 1024 * 1024 + 17, 5);
        var image = _upstream.AddImage("library/app", "1.0", layer);
        using var proxy = Proxy();
        var http = proxy.CreateClient();

        Assert.Equal(layer, await http.GetByteArrayAsync($"/v2/up.test/library/app/blobs/{image.Layer}"));
        Assert.Equal(layer, await http.GetByteArrayAsync($"/v2/up.test/library/app/blobs/{image.Layer}"));
        using var range = new HttpRequestMessage(HttpMethod.Get, $"/v2/up.test/library/app/blobs/{image.Layer}");
        range.Headers.Range = new RangeHeaderValue(100, 199);
        using var partial = await http.SendAsync(range);

        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(layer[100..200], await partial.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, _upstream.Count("GET", $"/blobs/{image.Layer}"));
        Assert.True(File.Exists(BlobFile(proxy, image.Layer)));
    }

    [Fact]
    public async Task RangeOfAnUncachedBlob_IsAnsweredOnceItIsStored()
    {
        var layer = Layer(600 * 1024, 6);
        var image = _upstream.AddImage("library/app", "1.0", layer);
        using var proxy = Proxy();
        using var range = new HttpRequestMessage(HttpMethod.Get, $"/v2/up.test/library/app/blobs/{image.Layer}");
        range.Headers.Range = new RangeHeaderValue(500_000, null);

        using var partial = await proxy.CreateClient().SendAsync(range);

        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(layer[500_000..], await partial.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ConcurrentPullsOfAnUncachedBlob_ShareOneUpstreamFetch()
    {
        var layer = Layer(2 * 1024 * 1024, 7);
        var image = _upstream.AddImage("library/app", "1.0", layer);
        _upstream.HoldBlobBodies = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var proxy = Proxy();
        var http = proxy.CreateClient();

        var pulls = Enumerable.Range(0, 8).Select(_ => http.GetByteArrayAsync($"/v2/up.test/library/app/blobs/{image.Layer}")).ToList();
        var deadline = Stopwatch.StartNew();
        while (_upstream.Count("GET", $"/blobs/{image.Layer}") == 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }
        await Task.Delay(300); // every client is waiting on the fetch by now
        _upstream.HoldBlobBodies.SetResult();
        var bodies = await Task.WhenAll(pulls);

        Assert.All(bodies, body => Assert.Equal(layer, body));
        Assert.Equal(1, _upstream.Count("GET", $"/blobs/{image.Layer}"));
    }

    [Fact]
    public async Task WrongBytesFromTheUpstream_FailTheClientsTransfer_AndLeaveNothingCached()
    {
        var layer = Layer(700 * 1024, 8);
        var image = _upstream.AddImage("library/app", "1.0", layer);
        _upstream.CorruptBlobs = true;
        using var proxy = Proxy();
        var http = proxy.CreateClient();

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var body = await http.GetByteArrayAsync($"/v2/up.test/library/app/blobs/{image.Layer}");
            // Never the wrong bytes as a complete answer.
            Assert.Fail($"the transfer completed with {body.Length} bytes of digest {FakeUpstream.DigestOf(body)}");
        });
        Assert.False(File.Exists(BlobFile(proxy, image.Layer)));
        using (var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/up.test/library/app/blobs/{image.Layer}"))
        {
            _upstream.CorruptBlobs = false;
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(head)).StatusCode); // asked upstream, not cached
        }
        Assert.Equal(layer, await http.GetByteArrayAsync($"/v2/up.test/library/app/blobs/{image.Layer}"));
        Assert.Equal(2, _upstream.Count("GET", $"/blobs/{image.Layer}"));
    }

    [Fact]
    public async Task HeadOfAnUncachedBlob_AsksTheUpstream_AndFetchesNothing()
    {
        var layer = Layer(4321, 9);
        var image = _upstream.AddImage("library/app", "1.0", layer);
        using var proxy = Proxy();
        using var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/up.test/library/app/blobs/{image.Layer}");

        using var response = await proxy.CreateClient().SendAsync(head);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4321, response.Content.Headers.ContentLength);
        Assert.Equal(0, _upstream.Count("GET", $"/blobs/{image.Layer}"));
        Assert.False(File.Exists(BlobFile(proxy, image.Layer)));
    }

    [Fact]
    public async Task UpstreamDown_CachedTagIsServedWithAWarning_UncachedOneIsA404NamingTheUpstream()
    {
        var image = _upstream.AddImage("library/app", "1.0", Layer(1000, 10));
        using var proxy = Proxy(("Proxy:Upstreams:0:TagTtl", "00:00:00"));
        var http = proxy.CreateClient();
        (await GetManifestAsync(http, "up.test/library/app", "1.0")).EnsureSuccessStatusCode();
        Assert.Equal(Layer(1000, 10), await http.GetByteArrayAsync($"/v2/up.test/library/app/blobs/{image.Layer}"));
        await _upstream.DisposeAsync();

        using var stale = await GetManifestAsync(http, "up.test/library/app", "1.0");
        var clock = Stopwatch.StartNew();
        using var uncached = await GetManifestAsync(http, "up.test/library/other", "1.0");
        var waited = clock.Elapsed;

        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Contains("110", stale.Headers.GetValues("Warning").Single(), StringComparison.Ordinal);
        Assert.Equal(Layer(1000, 10), await http.GetByteArrayAsync($"/v2/up.test/library/app/blobs/{image.Layer}"));
        await RegistryClient.AssertErrorAsync(uncached, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        Assert.Contains(_upstream.Url.Authority, await uncached.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(waited < TimeSpan.FromSeconds(5), $"the 404 took {waited}");
        _upstream = await FakeUpstream.StartAsync(); // for DisposeAsync
    }

    [Fact]
    public async Task UpstreamThatStopsMidManifest_FailsThePullWithinTheResponseTimeoutAndIsAskedAgainNextTime()
    {
        _upstream.AddImage("library/app", "1.0", Layer(100, 1));
        _upstream.StallManifestBodies = new TaskCompletionSource();
        using var proxy = Proxy(("Proxy:ResponseTimeout", "00:00:01"));
        var http = proxy.CreateClient();

        var stalled = Stopwatch.StartNew();
        using var failed = await GetManifestAsync(http, "up.test/library/app", "1.0");
        var stalledTook = stalled.Elapsed;
        _upstream.StallManifestBodies.TrySetResult();
        _upstream.StallManifestBodies = null;
        // A slow answer is that request's failure alone: the upstream is not shut out for a while.
        using var next = await GetManifestAsync(http, "up.test/library/app", "1.0");

        await RegistryClient.AssertErrorAsync(failed, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        Assert.Contains("did not finish sending the manifest", await failed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.InRange(stalledTook, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task UpstreamThatDoesNotAnswer_IsNotWaitedForAgainByEveryPull()
    {
        using var hole = await BlackHoleListener.StartAsync();
        using var proxy = new WharfApiFactory(("Proxy:Upstreams:0:Prefix", "hole.test"), ("Proxy:Upstreams:0:Url", $"http://{hole.HostPort}"),
            ("Proxy:ConnectTimeout", "00:00:01"));
        var http = proxy.CreateClient();

        var first = Stopwatch.StartNew();
        using var waited = await GetManifestAsync(http, "hole.test/library/app", "1.0");
        var firstTook = first.Elapsed;
        var second = Stopwatch.StartNew();
        using var atOnce = await GetManifestAsync(http, "hole.test/library/other", "1.0");
        var secondTook = second.Elapsed;

        await RegistryClient.AssertErrorAsync(waited, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await RegistryClient.AssertErrorAsync(atOnce, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        Assert.True(firstTook >= TimeSpan.FromSeconds(0.9), $"the first pull did not wait for the connect timeout ({firstTook})");
        Assert.True(secondTook < TimeSpan.FromSeconds(0.5), $"the second pull waited {secondTook} for an upstream known to be unreachable");
        Assert.Contains("tried less than", await atOnce.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenFlow_TheProxySignsInWithItsCredentials_WithoutThemTheUpstreamsRefusalIsNamed()
    {
        var image = _upstream.AddImage("private/app", "1.0", Layer(2000, 11));
        _upstream.RequireToken = true;
        using var signedIn = Proxy(("Proxy:Upstreams:0:Username", FakeUpstream.User), ("Proxy:Upstreams:0:Password", FakeUpstream.Password));
        using var anonymous = Proxy();

        using var pulled = await GetManifestAsync(signedIn.CreateClient(), "up.test/private/app", "1.0");
        var layer = await signedIn.CreateClient().GetByteArrayAsync($"/v2/up.test/private/app/blobs/{image.Layer}");
        using var refused = await GetManifestAsync(anonymous.CreateClient(), "up.test/private/app", "1.0");

        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(Layer(2000, 11), layer);
        await RegistryClient.AssertErrorAsync(refused, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        Assert.Contains("401", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PushIntoAProxiedRepository_IsDenied_WhileLocalRepositoriesStillTakePushes()
    {
        using var proxy = Proxy();
        var registry = new RegistryClient(proxy.CreateClient());

        using var start = await registry.Http.PostAsync("/v2/up.test/library/app/blobs/uploads/", null);
        using var manifest = await registry.PutManifestAsync("up.test/library/app", "1.0", "{}", AcceptOci);
        var local = await registry.PushImageAsync("team/app", "1.0");

        await RegistryClient.AssertErrorAsync(start, HttpStatusCode.Forbidden, "DENIED");
        await RegistryClient.AssertErrorAsync(manifest, HttpStatusCode.Forbidden, "DENIED");
        Assert.Contains("pull-through cache", await manifest.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.StartsWith("sha256:", local.Digest, StringComparison.Ordinal);
        Assert.Equal(0, _upstream.Count("GET", "/manifests/1.0") + _upstream.Count("HEAD", "/manifests/1.0"));
    }

    [Fact]
    public async Task MirrorMode_ProxiesEveryNameOutsideTheOtherPrefixes_ByItsOwnName()
    {
        var image = _upstream.AddImage("library/app", "1.0", Layer(1000, 12));
        using var proxy = new WharfApiFactory(("Proxy:Upstreams:0:Url", _upstream.Url.ToString()), ("Proxy:Upstreams:1:Prefix", "other.test"), ("Proxy:Upstreams:1:Url", "http://127.0.0.1:9"));
        var http = proxy.CreateClient();

        using var mirrored = await GetManifestAsync(http, "library/app", "1.0");
        using var prefixed = await GetManifestAsync(http, "other.test/library/app", "1.0");

        Assert.Equal(image.Manifest, await mirrored.Content.ReadAsByteArrayAsync());
        await RegistryClient.AssertErrorAsync(prefixed, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        Assert.Contains("127.0.0.1:9", await prefixed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadOnly_ServesWhatIsCached_AndFetchesNothing()
    {
        var cached = _upstream.AddImage("library/app", "1.0", Layer(1000, 15));
        var uncached = _upstream.AddImage("library/other", "1.0", Layer(1000, 16));
        using var proxy = Proxy(("Proxy:Upstreams:0:TagTtl", "00:00:00"));
        var http = proxy.CreateClient();
        (await GetManifestAsync(http, "up.test/library/app", "1.0")).EnsureSuccessStatusCode();
        using (var on = await http.PutAsync("/wharf/read-only", new StringContent("""{"readOnly": true}""", System.Text.Encoding.UTF8, "application/json")))
        {
            on.EnsureSuccessStatusCode();
        }

        using var servedFromCache = await GetManifestAsync(http, "up.test/library/app", "1.0");
        using var notFetched = await GetManifestAsync(http, "up.test/library/other", "1.0");
        using var blobNotFetched = await http.GetAsync($"/v2/up.test/library/other/blobs/{uncached.Layer}");

        Assert.Equal(cached.Manifest, await servedFromCache.Content.ReadAsByteArrayAsync());
        await RegistryClient.AssertErrorAsync(notFetched, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await RegistryClient.AssertErrorAsync(blobNotFetched, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        Assert.Equal(0, _upstream.Count("GET", "/library/other/manifests/1.0") + _upstream.Count("GET", $"/blobs/{uncached.Layer}"));
        Assert.Equal(0, _upstream.Count("HEAD", "/library/app/manifests/1.0"));
    }

    [Fact]
    public async Task TagsList_ComesFromTheUpstream_UnderTheLocalName()
    {
        _upstream.AddImage("library/app", "1.0", Layer(100, 13));
        _upstream.AddImage("library/app", "2.0", Layer(100, 14));
        using var proxy = Proxy();

        var body = await proxy.CreateClient().GetStringAsync("/v2/up.test/library/app/tags/list");

        Assert.Equal("""{"name":"up.test/library/app","tags":["1.0","2.0"]}""", body);
    }

    private static string BlobFile(WharfApiFactory proxy, string digest)
    {
        var hex = digest["sha256:".Length..];
        return Path.Combine(proxy.StorageRoot, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
    }
}
