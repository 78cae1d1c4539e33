using System.Globalization;
using System.Net;
using System.Text;
using Wharf.Tests.Api;
using Wharf.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Wharf.Tests.Observability;

/// <summary>
/// <c>/metrics</c> on the real server, on the listener of its own that <c>Metrics:Urls</c> names:
/// scraped before and after a push and a pull, the counters move by exactly what was done.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class MetricsEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Scrape_AfterPushAndPull_CountersMovedByWhatWasDone()
    {
        var metricsPort = WharfProcess.FindFreePort();
        await using var wharf = await WharfProcess.StartAsync(new WharfStartOptions { Arguments = ["--Metrics:Urls", $"http://127.0.0.1:{metricsPort}", "--Metrics:StorageRefresh", "00:00:01"] }, output);
        using var http = wharf.CreateClient();
        using var scraper = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
        var registry = new RegistryClient(http);
        var layer = Encoding.UTF8.GetBytes(new string('x', 10_000));
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\"}");

        var before = await scraper.GetStringAsync("/metrics");
        var layerDigest = await registry.PushBlobAsync("metrics/app", layer);
        var configDigest = await registry.PushBlobAsync("metrics/app", config);
        var manifest = Wharf.Tests.Api.Manifests.OciImage(configDigest, config.Length, [(layerDigest, layer.Length)]);
        using (var put = await registry.PutManifestAsync("metrics/app", "v1", manifest, Wharf.Tests.Api.Manifests.OciManifestType))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        for (var i = 0; i < 3; i++)
        {
            using var get = await http.GetAsync("/v2/metrics/app/manifests/v1");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }
        Assert.Equal(layer, await http.GetByteArrayAsync($"/v2/metrics/app/blobs/{layerDigest}"));
        // A mount is counted apart from other upload starts, whether it mounts (201) or falls back to an upload (202).
        using (var mounted = await http.PostAsync($"/v2/metrics/copy/blobs/uploads/?mount={layerDigest}&from=metrics/app", null))
        {
            Assert.Equal(HttpStatusCode.Created, mounted.StatusCode);
        }
        using (var fellBack = await http.PostAsync($"/v2/metrics/copy/blobs/uploads/?mount=sha256:{new string('0', 64)}&from=metrics/app", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, fellBack.StatusCode);
            using var cancel = await http.DeleteAsync(fellBack.Headers.Location);
            Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        }
        long errorBodyLength;
        using (var missing = await http.GetAsync("/v2/metrics/app/manifests/nope"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            errorBodyLength = (await missing.Content.ReadAsByteArrayAsync()).Length;
        }
        var after = await scraper.GetStringAsync("/metrics");

        double Moved(string name, params (string, string)[] labels) => PrometheusText.Sum(after, name, labels) - PrometheusText.Sum(before, name, labels);
        Assert.Equal(2, Moved("wharf_http_requests_total", ("operation", "upload_start"), ("method", "POST"), ("status_class", "2xx")));
        Assert.Equal(2, Moved("wharf_http_requests_total", ("operation", "blob_mount"), ("method", "POST"), ("status_class", "2xx")));
        Assert.Equal(1, Moved("wharf_http_requests_total", ("operation", "manifest_put"), ("status_class", "2xx")));
        Assert.Equal(3, Moved("wharf_http_requests_total", ("operation", "manifest_get"), ("method", "GET"), ("status_class", "2xx")));
        Assert.Equal(1, Moved("wharf_http_requests_total", ("operation", "manifest_get"), ("status_class", "4xx")));
        Assert.Equal(1, Moved("wharf_http_requests_total", ("operation", "blob_get"), ("status_class", "2xx")));
        Assert.Equal(3, Moved("wharf_http_request_duration_seconds_count", ("operation", "manifest_get"), ("status_class", "2xx")));
        Assert.Equal(layer.Length + config.Length, Moved("wharf_http_received_bytes_total", ("operation", "upload_start")));
        Assert.Equal(Encoding.UTF8.GetByteCount(manifest), Moved("wharf_http_received_bytes_total", ("operation", "manifest_put")));
        Assert.Equal(layer.Length, Moved("wharf_http_sent_bytes_total", ("operation", "blob_get")));
        Assert.Equal((3 * Encoding.UTF8.GetByteCount(manifest)) + errorBodyLength, Moved("wharf_http_sent_bytes_total", ("operation", "manifest_get")));
        // The first GET by tag reads the store and fills the cache; the next two are answered from it.
        Assert.Equal(2, Moved("wharf_manifest_cache_hits_total"));
        Assert.Equal(2, Moved("wharf_manifest_cache_misses_total")); // the first GET and the unknown tag
        Assert.Equal(1, Moved("wharf_metadata_operation_duration_seconds_count", ("operation", "PutManifest")));
        Assert.True(Moved("wharf_storage_operation_duration_seconds_count", ("operation", "OpenAppendWriter")) >= 2);
        Assert.Equal(0, PrometheusText.Sum(after, "wharf_uploads_in_flight"));
        foreach (var name in new[] { "wharf_gc_reviews_total", "wharf_gc_freed_bytes_total", "wharf_uploads_purged_total", "wharf_auth_failures_total", "wharf_auth_throttled_total" })
        {
            Assert.True(PrometheusText.Declares(after, name) || name.StartsWith("wharf_auth", StringComparison.Ordinal), $"{name} is not exported:\n{after}");
        }
        Assert.True(PrometheusText.Declares(after, "wharf_http_request_duration_seconds"), "the latency histogram is exported");
        Assert.Contains("le=\"0.001\"", after, StringComparison.Ordinal);

        // The stored total is read in the background; a later scrape shows it.
        await WaitForAsync(async () => PrometheusText.Sum(await scraper.GetStringAsync("/metrics"), "wharf_storage_size_bytes") >= layer.Length + config.Length + manifest.Length);
    }

    [Fact]
    public async Task MetricsListener_ServesOnlyMetricsAndProbes_AndTheRegistryPortHasNoMetrics()
    {
        var metricsPort = WharfProcess.FindFreePort();
        await using var wharf = await WharfProcess.StartAsync(new WharfStartOptions { Arguments = ["--Metrics:Urls", $"http://127.0.0.1:{metricsPort}"] }, output);
        using var http = wharf.CreateClient();
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };

        using var scrape = await metrics.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.StartsWith("text/plain", scrape.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        using var probe = await metrics.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        using var api = await metrics.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        using var onRegistryPort = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, onRegistryPort.StatusCode);
    }

    [Fact]
    public async Task AuthFailures_AreCountedByReason()
    {
        using var directory = new Auth.TempDir();
        var htpasswd = Auth.TestUsers.WriteHtpasswd(directory.FullPath, Auth.TestUsers.All);
        var metricsPort = WharfProcess.FindFreePort();
        await using var wharf = await WharfProcess.StartAsync(new WharfStartOptions
        {
            Arguments = ["--Metrics:Urls", $"http://127.0.0.1:{metricsPort}", .. Auth.AuthSettings.Standard("htpasswd", htpasswd).SelectMany(s => new[] { "--" + s.Key, s.Value })],
        }, output);
        using var http = wharf.CreateClient();
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };

        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/v2/"))
        {
            wrong.Headers.Authorization = Auth.TestUsers.Basic(Auth.TestUsers.Alice, "not-her-password");
            using var response = await http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        using (var denied = new HttpRequestMessage(HttpMethod.Get, "/v2/team/x/tags/list"))
        {
            denied.Headers.Authorization = Auth.TestUsers.Basic(Auth.TestUsers.Dave, Auth.TestUsers.DavePassword);
            using var response = await http.SendAsync(denied);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        using (var anonymous = await http.GetAsync("/v2/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode); // a challenge, not a failure
        }

        var scraped = await metrics.GetStringAsync("/metrics");
        Assert.Equal(1, PrometheusText.Sum(scraped, "wharf_auth_failures_total", ("reason", "bad_credentials")));
        Assert.Equal(1, PrometheusText.Sum(scraped, "wharf_auth_failures_total", ("reason", "denied")));
        Assert.Equal(2, PrometheusText.Sum(scraped, "wharf_auth_failures_total"));
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 20 s");
            await Task.Delay(200);
        }
    }
}
