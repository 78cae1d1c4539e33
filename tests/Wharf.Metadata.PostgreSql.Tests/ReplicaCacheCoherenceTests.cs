using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Wharf.Metadata.PostgreSql.Tests;

/// <summary>Two servers in process on one PostgreSQL schema and one storage directory, as two
/// replicas: a tag one moves or deletes, the other serves at once (what a tag names is never
/// cached with a shared store); a blob one unlinks, the other stops reporting as soon as the
/// notification reaches it (blob HEADs are cached, and dropped through LISTEN/NOTIFY).</summary>
[Collection(PostgresCollection.Name)]
public sealed class ReplicaCacheCoherenceTests(PostgresServer server) : IAsyncLifetime
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wharf-pg-replicas-" + Guid.NewGuid().ToString("N"));
    private readonly List<WebApplicationFactory<Program>> _replicas = [];
    private HttpClient _a = null!;
    private HttpClient _b = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await server.CreateSchemaAsync();
        for (var i = 0; i < 2; i++)
        {
            _replicas.Add(new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder
                .UseSetting("Storage:Root", _root)
                .UseSetting("Metadata:Provider", "postgres")
                .UseSetting("Metadata:ConnectionString", connectionString)));
        }
        _a = _replicas[0].CreateClient();
        _b = _replicas[1].CreateClient();
        // Each replica starts listening in the background; wait until a change crosses over.
        await WaitUntilListeningAsync();
    }

    [Fact]
    public async Task TagMovedThroughOneReplica_IsServedByTheOtherAtOnce()
    {
        var first = await PushImageAsync(_a, "team/app", "latest", "first");
        Assert.Equal(first, await DigestOfAsync(_b, "team/app", "latest"));   // now cached in B
        Assert.Equal(first, await DigestOfAsync(_b, "team/app", "latest"));

        var second = await PushImageAsync(_a, "team/app", "latest", "second");

        Assert.Equal(second, await DigestOfAsync(_b, "team/app", "latest"));
    }

    [Fact]
    public async Task TagDeletedThroughOneReplica_IsGoneFromTheOtherAtOnce()
    {
        await PushImageAsync(_a, "team/gone", "v1", "gone");
        await DigestOfAsync(_b, "team/gone", "v1");

        using (var delete = await _a.DeleteAsync("/v2/team/gone/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        using var get = await _b.GetAsync("/v2/team/gone/manifests/v1");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task BlobUnlinkedThroughOneReplica_IsGoneFromTheOtherWithinMoments()
    {
        var digest = await PushBlobAsync(_a, "team/blob", Encoding.UTF8.GetBytes("a blob to unlink " + Guid.NewGuid()));
        using (var head = await _b.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/team/blob/blobs/{digest}")))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);   // now cached in B
        }

        using (var delete = await _a.DeleteAsync($"/v2/team/blob/blobs/{digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        // Without the notification the cached answer would stand for its 5 s lifetime.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var after = await _b.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/team/blob/blobs/{digest}"));
            status = after.StatusCode;
        }
        while (status != HttpStatusCode.NotFound && clock.Elapsed < TimeSpan.FromSeconds(1) && await Delay());
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(10);
        return true;
    }

    // Each replica starts listening in the background: wait until an unlink crosses over.
    private async Task WaitUntilListeningAsync()
    {
        for (var i = 0; i < 200; i++)
        {
            var digest = await PushBlobAsync(_a, "probe/app", Encoding.UTF8.GetBytes("probe " + Guid.NewGuid()));
            using (var head = await _b.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/probe/app/blobs/{digest}")))
            {
                Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            }
            using (var delete = await _a.DeleteAsync($"/v2/probe/app/blobs/{digest}"))
            {
                Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
            }
            await Task.Delay(50);
            using var after = await _b.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/probe/app/blobs/{digest}"));
            if (after.StatusCode == HttpStatusCode.NotFound)
            {
                return;
            }
        }
        Assert.Fail("replica B never heard replica A's unlinks");
    }

    private static async Task<string> DigestOfAsync(HttpClient replica, string repository, string tag)
    {
        using var response = await replica.GetAsync($"/v2/{repository}/manifests/{tag}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single(response.Headers.GetValues("Docker-Content-Digest"));
    }

    private static async Task<string> PushImageAsync(HttpClient replica, string repository, string tag, string seed)
    {
        var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":\"{seed}\"}}");
        var configDigest = await PushBlobAsync(replica, repository, config);
        var json = $$"""{"schemaVersion":2,"mediaType":"{{ManifestType}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[]}""";
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.ContentType = new MediaTypeHeaderValue(ManifestType);
        using var response = await replica.PutAsync($"/v2/{repository}/manifests/{tag}", content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return Assert.Single(response.Headers.GetValues("Docker-Content-Digest"));
    }

    private static async Task<string> PushBlobAsync(HttpClient replica, string repository, byte[] bytes)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        using var response = await replica.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return digest;
    }

    public async Task DisposeAsync()
    {
        _a?.Dispose();
        _b?.Dispose();
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
