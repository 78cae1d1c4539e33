using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Proxy;
using Wharf.Tests.Api;

namespace Wharf.Tests.Proxy;

/// <summary>
/// Proxy:MaxAge in process, against a <see cref="FakeUpstream"/>, with passes every few hundred
/// milliseconds: what is pulled stays, what is not goes (and garbage collection takes its blobs),
/// local repositories are never touched, and an expired image is fetched again when pulled.
/// What is cached is checked in the store: a pull through the proxy would fetch it again.
/// </summary>
public sealed class ProxyExpiryApiTests : IAsyncLifetime
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1.5);
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private WharfApiFactory Proxy(string? maxAge = "00:00:01.500") =>
        new([("Proxy:Upstreams:0:Prefix", "up.test"), ("Proxy:Upstreams:0:Url", _upstream.Url.ToString()),
            .. maxAge is null ? Array.Empty<(string, string)>() : [("Proxy:MaxAge", maxAge)],
            // Garbage collection soon, and often (not at once: the local push below would race it,
            // its blobs unreferenced until its manifest comes); deletes refused to clients, which
            // expiry ignores.
            ("Gc:ReviewDelay", "00:00:01"), ("Gc:Interval", "00:00:00.200"), ("Storage:Delete:Enabled", "false")]);

    private static WebApplicationFactory<Program> Fast(WharfApiFactory proxy, TimeSpan? flush = null) =>
        proxy.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddSingleton(new ProxyExpiryTiming(TimeSpan.FromMilliseconds(200), flush ?? TimeSpan.FromMilliseconds(100)))));

    private static async Task PullAsync(HttpClient http, string name, string reference, string? layer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{name}/manifests/{reference}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(Api.Manifests.OciManifestType));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (layer is not null)
        {
            (await http.GetAsync($"/v2/{name}/blobs/{layer}")).EnsureSuccessStatusCode();
        }
    }

    private static byte[] Layer(int seed)
    {
        var bytes = new byte[2000];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static Task<ManifestRecord?> StoredAsync(WebApplicationFactory<Program> app, string repository, string reference) =>
        app.Services.GetRequiredService<IMetadataStore>().GetManifestAsync(RepositoryName.Parse(repository), Reference.Parse(reference), CancellationToken.None);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task UnpulledImage_IsDeletedAfterMaxAge_AndItsBlobsCollected_APulledOneAndLocalRepositoriesStay()
    {
        var kept = _upstream.AddImage("library/kept", "1.0", Layer(31));
        var gone = _upstream.AddImage("library/gone", "1.0", Layer(32));
        using var proxy = Proxy();
        using var app = Fast(proxy);
        var http = app.CreateClient();
        var registry = new RegistryClient(http);
        var local = await registry.PushImageAsync("team/app", "1.0");
        var localLayer = RegistryClient.DigestOf("layer bytes for layer");
        await PullAsync(http, "up.test/library/kept", "1.0", kept.Layer);
        await PullAsync(http, "up.test/library/gone", "1.0", gone.Layer);
        // Stored once verified, which may be just after the relay's last byte.
        await WaitForAsync(() => Task.FromResult(File.Exists(BlobFile(proxy, gone.Layer))), "the layer is cached");

        // Well past MaxAge, pulling one image (by tag, from the cache) and leaving the other.
        var until = DateTime.UtcNow + 2 * MaxAge;
        while (DateTime.UtcNow < until)
        {
            await PullAsync(http, "up.test/library/kept", "1.0");
            await Task.Delay(200);
        }
        await WaitForAsync(async () => await StoredAsync(app, "up.test/library/gone", gone.Digest) is null, "the unpulled manifest is deleted");
        await WaitForAsync(() => Task.FromResult(!File.Exists(BlobFile(proxy, gone.Layer))), "garbage collection deletes its layer");

        Assert.Null(await StoredAsync(app, "up.test/library/gone", "1.0"));
        Assert.Equal(kept.Digest, (await StoredAsync(app, "up.test/library/kept", "1.0"))?.Digest.ToString());
        Assert.True(File.Exists(BlobFile(proxy, kept.Layer)));
        // Not pulled at all since it was pushed, longer ago than MaxAge: local, so kept.
        Assert.Equal(local.Digest, (await StoredAsync(app, "team/app", "1.0"))?.Digest.ToString());
        Assert.True(File.Exists(BlobFile(proxy, localLayer)));
        using (var localPull = await registry.Http.GetAsync($"/v2/team/app/blobs/{localLayer}"))
        {
            Assert.Equal(HttpStatusCode.OK, localPull.StatusCode);
        }

        // Pulled again, the expired image comes from the upstream again, whole.
        await PullAsync(http, "up.test/library/gone", "1.0");
        Assert.Equal(2, _upstream.Count("GET", "/library/gone/manifests/1.0"));
        Assert.Equal(Layer(32), await http.GetByteArrayAsync($"/v2/up.test/library/gone/blobs/{gone.Layer}"));
    }

    [Fact]
    public async Task ImagePulledByDigest_CountsAsUsed_LikeOneByTag()
    {
        var image = _upstream.AddImage("library/app", "1.0", Layer(33));
        using var proxy = Proxy();
        using var app = Fast(proxy);
        var http = app.CreateClient();
        await PullAsync(http, "up.test/library/app", image.Digest);

        var until = DateTime.UtcNow + 2 * MaxAge;
        while (DateTime.UtcNow < until)
        {
            await PullAsync(http, "up.test/library/app", image.Digest);
            await Task.Delay(200);
        }

        Assert.NotNull(await StoredAsync(app, "up.test/library/app", image.Digest));
        Assert.Equal(1, _upstream.Count("GET", $"/manifests/{image.Digest}"));
    }

    [Fact]
    public async Task WithoutMaxAge_NothingExpires()
    {
        var image = _upstream.AddImage("library/app", "1.0", Layer(34));
        using var proxy = Proxy(maxAge: null);
        using var app = Fast(proxy);
        var http = app.CreateClient();
        await PullAsync(http, "up.test/library/app", "1.0", image.Layer);

        await Task.Delay(2 * MaxAge);

        Assert.NotNull(await StoredAsync(app, "up.test/library/app", "1.0"));
        Assert.True(File.Exists(BlobFile(proxy, image.Layer)));
    }

    [Fact]
    public async Task Pulls_AreWrittenToTheStore_AtShutdownToo()
    {
        var image = _upstream.AddImage("library/app", "1.0", Layer(35));
        using var proxy = Proxy(maxAge: null);
        // Flushes too rare to happen during the test: only the one at shutdown writes.
        using var app = Fast(proxy, flush: TimeSpan.FromHours(1));
        var http = app.CreateClient();
        await PullAsync(http, "up.test/library/app", "1.0");
        var fetched = DateTimeOffset.UtcNow;
        await Task.Delay(300);
        await PullAsync(http, "up.test/library/app", "1.0");
        var store = app.Services.GetRequiredService<IMetadataStore>();
        var between = fetched + TimeSpan.FromMilliseconds(150);
        Assert.Single(await store.ListManifestsUnusedSinceAsync("up.test", between, null, 10, CancellationToken.None));

        await app.Services.GetRequiredService<ManifestPulls>().StopAsync(CancellationToken.None);

        Assert.Empty(await store.ListManifestsUnusedSinceAsync("up.test", between, null, 10, CancellationToken.None));
    }

    private static string BlobFile(WharfApiFactory proxy, string digest)
    {
        var hex = digest["sha256:".Length..];
        return Path.Combine(proxy.StorageRoot, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
    }
}
