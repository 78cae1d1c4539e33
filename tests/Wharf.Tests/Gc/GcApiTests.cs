using System.Net;
using System.Text;
using System.Text.Json;
using Wharf.Tests.Api;
using Wharf.Tests.Auth;

namespace Wharf.Tests.Gc;

/// <summary>The collector inside the server, and <c>GET /wharf/gc</c>.</summary>
public sealed class GcApiTests
{
    [Fact]
    public async Task Collector_DeletedImage_FreesItsBlobsOnlineAndReportsIt()
    {
        // A review delay of two seconds, not none: with none, a blob could be collected between its
        // upload and its manifest's push on a busy machine (the client would push it again).
        using var factory = new WharfApiFactory(("Gc:ReviewDelay", "00:00:02"), ("Gc:Interval", "00:00:00.1"));
        var registry = new RegistryClient(factory.CreateClient());
        var (keptJson, _) = await registry.PushImageAsync("gc/app", "kept", seed: "kept");
        var (goneJson, goneDigest) = await registry.PushImageAsync("gc/app", "gone", seed: "gone");
        var goneLayer = LayerOf(goneJson);

        using (var delete = await registry.Http.DeleteAsync($"/v2/gc/app/manifests/{goneDigest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        var report = await WaitForAsync(registry.Http, r => r.GetProperty("collector").GetProperty("sinceStart").GetProperty("blobsDeleted").GetInt64() >= 3);

        Assert.False(File.Exists(BlobFile(factory, goneLayer)));
        Assert.False(File.Exists(BlobFile(factory, goneDigest)));
        Assert.True(File.Exists(BlobFile(factory, LayerOf(keptJson))));
        using var layer = await registry.Http.GetAsync($"/v2/gc/app/blobs/{goneLayer}");
        Assert.Equal(HttpStatusCode.NotFound, layer.StatusCode);
        using var kept = await registry.Http.GetAsync("/v2/gc/app/manifests/kept");
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        Assert.Equal(0, report.GetProperty("reclaimable").GetProperty("blobs").GetInt64());
        var repository = report.GetProperty("repositories").EnumerateArray().Single();
        Assert.Equal("gc/app", repository.GetProperty("name").GetString());
        Assert.Equal(3, repository.GetProperty("blobs").GetInt64()); // the kept image: manifest, config, layer
        Assert.Equal(repository.GetProperty("bytes").GetInt64(), repository.GetProperty("exclusiveBytes").GetInt64());
        Assert.Equal(report.GetProperty("bytes").GetInt64(), repository.GetProperty("bytes").GetInt64());
    }

    [Fact]
    public async Task Report_BeforeTheReviewDelay_ShowsWhatWouldBeFreedAndTheQueue()
    {
        using var factory = new WharfApiFactory();
        var registry = new RegistryClient(factory.CreateClient());
        var (_, digest) = await registry.PushImageAsync("gc/app", "v1");
        using (var delete = await registry.Http.DeleteAsync($"/v2/gc/app/manifests/{digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        var report = JsonDocument.Parse(await registry.Http.GetStringAsync("/wharf/gc")).RootElement;

        Assert.Equal(3, report.GetProperty("blobs").GetInt64());
        Assert.True(report.GetProperty("reviews").GetProperty("queued").GetInt64() >= 3);
        Assert.Equal(0, report.GetProperty("reviews").GetProperty("due").GetInt64());
        // The config's and layer's links are younger than the default day: they wait. The manifest's
        // own bytes have no link to wait for: a collection now would take them.
        Assert.Equal(2, report.GetProperty("reclaimable").GetProperty("waiting").GetInt64());
        Assert.Equal(1, report.GetProperty("reclaimable").GetProperty("blobs").GetInt64());
        Assert.Equal("1.00:00:00", report.GetProperty("collector").GetProperty("reviewDelay").GetString());
    }

    [Fact]
    public async Task ScheduledSweep_FileUnknownToTheMetadata_IsDeleted()
    {
        var root = Path.Combine(Path.GetTempPath(), "wharf-api-" + Guid.NewGuid().ToString("N"));
        var stray = Encoding.UTF8.GetBytes("left behind by a crash");
        var strayFile = BlobFile(root, RegistryClient.DigestOf(stray));
        Directory.CreateDirectory(Path.GetDirectoryName(strayFile)!);
        await File.WriteAllBytesAsync(strayFile, stray);
        // (With no review delay, what this server's clients upload would be collected before their
        // manifests came: only the sweep is looked at here.)
        using var factory = new WharfApiFactory(("Storage:Root", root), ("Gc:Sweep", "00:01:00"), ("Gc:ReviewDelay", "00:00:00"), ("Gc:Interval", "00:00:00.1"));
        using var client = factory.CreateClient();

        var report = await WaitForAsync(client, r => r.GetProperty("collector").GetProperty("sinceStart").GetProperty("blobsDeleted").GetInt64() >= 1);

        Assert.False(File.Exists(strayFile));
        Assert.Equal(stray.Length, report.GetProperty("collector").GetProperty("sinceStart").GetProperty("bytesFreed").GetInt64());
    }

    [Fact]
    public async Task Report_WithSignIn_IsForAdminsOnly()
    {
        using var directory = new TempDir();
        var htpasswd = TestUsers.WriteHtpasswd(directory.FullPath, TestUsers.All);
        using var factory = new WharfApiFactory([.. AuthSettings.Standard("htpasswd", htpasswd)]);
        using var client = factory.CreateClient();

        using var anonymous = await client.GetAsync("/wharf/gc");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("UNAUTHORIZED", await RegistryClient.ErrorCodeAsync(anonymous));

        using var alice = new HttpRequestMessage(HttpMethod.Get, "/wharf/gc");
        alice.Headers.Authorization = TestUsers.Basic(TestUsers.Alice, TestUsers.AlicePassword);
        using var denied = await client.SendAsync(alice);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("DENIED", await RegistryClient.ErrorCodeAsync(denied));

        using var bob = new HttpRequestMessage(HttpMethod.Get, "/wharf/gc");
        bob.Headers.Authorization = TestUsers.Basic(TestUsers.Bob, TestUsers.BobPassword);
        using var admin = await client.SendAsync(bob);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }

    private static string LayerOf(string manifestJson) =>
        JsonDocument.Parse(manifestJson).RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;

    private static string BlobFile(WharfApiFactory factory, string digest) => BlobFile(factory.StorageRoot, digest);

    private static string BlobFile(string storageRoot, string digest) => StoredBlobFiles.PathOf(storageRoot, digest);

    private static async Task<JsonElement> WaitForAsync(HttpClient http, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var report = JsonDocument.Parse(await http.GetStringAsync("/wharf/gc")).RootElement;
            if (done(report))
            {
                return report;
            }
            Assert.True(DateTime.UtcNow < deadline, "the collector did not collect within 20 s: " + report);
            await Task.Delay(100);
        }
    }
}
