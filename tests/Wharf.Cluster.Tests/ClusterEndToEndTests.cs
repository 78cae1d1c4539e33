using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Wharf.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>
/// Three Wharf replicas on PostgreSQL and Ceph RGW behind nginx (round robin, no stickiness),
/// driven through nginx by skopeo, podman and raw HTTP. The tests run in order of their names'
/// numbers within one cluster; the last kills a replica.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
[TestCaseOrderer("Wharf.Cluster.Tests.ByNameOrderer", "Wharf.Cluster.Tests")]
public sealed class ClusterEndToEndTests(ClusterFixture cluster, ITestOutputHelper output) : IDisposable
{
    private const long MiB = 1024 * 1024;
    private readonly string _work = Path.Combine(Path.GetTempPath(), "wharf-cluster-work-" + Guid.NewGuid().ToString("N"));

    private string Through => cluster.Balancer.HostPort;

    [Fact]
    public async Task T1_Skopeo_MultiLayerAndMultiPlatformImages_RoundTripThroughTheBalancer()
    {
        using var skopeo = new Skopeo(output);
        var source = OciLayout.Create(Path.Combine(_work, "source"));
        var image = source.AddImage("v1", layerCount: 3, seed: 101);
        var index = source.AddTwoPlatformIndex("multi", seed: 102);

        (await skopeo.CopyAsync($"oci:{source.Root}:v1", $"docker://{Through}/cluster/app:v1", "--preserve-digests")).EnsureSuccess();
        (await skopeo.CopyAsync($"oci:{source.Root}:multi", $"docker://{Through}/cluster/app:multi", "--all", "--preserve-digests")).EnsureSuccess();
        var pulled = Path.Combine(_work, "pulled");
        (await skopeo.CopyAsync($"docker://{Through}/cluster/app:v1", $"oci:{pulled}:v1", "--preserve-digests")).EnsureSuccess();
        (await skopeo.CopyAsync($"docker://{Through}/cluster/app:multi", $"oci:{pulled}:multi", "--all", "--preserve-digests")).EnsureSuccess();

        Assert.Equal(image.Manifest.Digest, OciLayout.ReadTag(pulled, "v1").Digest);
        Assert.Equal(index.Index.Digest, OciLayout.ReadTag(pulled, "multi").Digest);
        foreach (var blob in index.Images.SelectMany(i => i.Layers.Append(i.Config).Append(i.Manifest)).Concat(image.Layers).Append(image.Config))
        {
            Assert.Equal(blob.Digest, OciLayout.ComputeFileDigest(OciLayout.BlobPath(pulled, blob.Digest)));
        }
        AssertEveryReplicaServed("skopeo push and pull");
    }

    [Fact]
    public async Task T2_Podman_PushAndPullThroughTheBalancer()
    {
        using var podman = new Podman(output);
        var layout = OciLayout.Create(Path.Combine(_work, "podman-layout"));
        var image = layout.AddImage("v1", layerCount: 2, seed: 103);
        var id = await podman.PullAsync($"oci:{layout.Root}:v1", null);
        var remote = $"{Through}/cluster/podman:v1";
        await podman.TagAsync(id, remote);

        var pushed = await podman.PushAsync(remote, null);
        await podman.RemoveAllImagesAsync();

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(OciLayout.BlobPath(layout.Root, image.Config.Digest)))), id);
        Assert.Equal(id, await podman.PullAsync(remote, null));
        Assert.Equal(pushed, await podman.InspectImageAsync(remote, "{{.Digest}}"));
    }

    [Fact]
    public async Task T3_ChunkedUploadByHand_TouchesAllThreeReplicasAndSucceeds()
    {
        using var http = Client(Through);
        var blob = RandomBytes(3 * 1024 * 1024 + 17);
        var digest = Sha256(blob);
        var logBefore = cluster.Balancer.ReadAccessLog().Count;

        using var start = await http.PostAsync("/v2/cluster/chunked/blobs/uploads/", Empty());
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = start.Headers.Location!.OriginalString;
        var third = blob.Length / 3;
        foreach (var (offset, length) in new[] { (0, third), (third, third), (2 * third, blob.Length - 2 * third) })
        {
            var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new ByteArrayContent(blob, offset, length) };
            patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            patch.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
            using var patched = await http.SendAsync(patch);
            Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);
            location = patched.Headers.Location!.OriginalString;
        }
        using var put = await http.PutAsync(location + (location.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "digest=" + digest, Empty());
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        // nginx writes a request's line once it has sent the response: give the last one a moment.
        var requests = await EventuallyAsync(
            () => cluster.Balancer.ReadAccessLog().Skip(logBefore).Where(r => r.Uri.Contains("/cluster/chunked/blobs/uploads", StringComparison.Ordinal)).ToList(),
            lines => lines.Count >= 5);
        Assert.Equal(["POST", "PATCH", "PATCH", "PATCH", "PUT"], requests.Select(r => r.Method));
        var replicas = requests.Select(r => cluster.ReplicaIndex(r.Replica)).Distinct().Order().ToList();
        output.WriteLine($"the upload's requests went to replicas {string.Join(", ", requests.Select(r => cluster.ReplicaIndex(r.Replica)))}");
        Assert.Equal([0, 1, 2], replicas);
        foreach (var replica in cluster.Replicas)
        {
            using var direct = Client(replica.HostPort);
            Assert.Equal(blob, await direct.GetByteArrayAsync($"/v2/cluster/chunked/blobs/{digest}"));
        }
    }

    [Fact]
    public async Task T4_TagMovedThroughOneReplica_IsReadBackThroughAnotherAtOnce()
    {
        using var a = Client(cluster.Replicas[0].HostPort);
        using var b = Client(cluster.Replicas[1].HostPort);
        using var c = Client(cluster.Replicas[2].HostPort);
        var first = await PushSmallImageAsync(a, "cluster/moving", "latest", "first");
        Assert.Equal(first, await DigestOfAsync(b, "cluster/moving", "latest"));   // now cached in b and c
        Assert.Equal(first, await DigestOfAsync(c, "cluster/moving", "latest"));

        for (var round = 0; round < 10; round++)
        {
            var moved = await PushSmallImageAsync(a, "cluster/moving", "latest", $"round-{round}");

            Assert.Equal(moved, await DigestOfAsync(b, "cluster/moving", "latest"));
            Assert.Equal(moved, await DigestOfAsync(c, "cluster/moving", "latest"));
        }
    }

    [Fact]
    public async Task T5_CatalogAndTagLists_IdenticalThroughEveryReplica()
    {
        using var http = Client(Through);
        for (var i = 0; i < 5; i++)
        {
            await PushSmallImageAsync(http, $"cluster/listed-{i}", $"v{i}", $"listed-{i}");
        }
        var catalogs = new List<string>();
        var tagLists = new List<string>();
        foreach (var replica in cluster.Replicas)
        {
            using var direct = Client(replica.HostPort);
            catalogs.Add(await direct.GetStringAsync("/v2/_catalog"));
            tagLists.Add(await direct.GetStringAsync("/v2/cluster/app/tags/list"));
        }

        Assert.Single(catalogs.Distinct());
        Assert.Single(tagLists.Distinct());
        Assert.Contains("cluster/listed-4", catalogs[0], StringComparison.Ordinal);
        Assert.Contains("\"multi\"", tagLists[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task T5b_OneGiBChunkedUploadSpreadOverReplicas_BoundedMemoryAndExactDigest()
    {
        // 1 GiB in 16 chunks of 64 MiB (and a last odd one), streamed from a deterministic source
        // through nginx, so the chunks land on every replica in turn; then read back whole.
        const long size = 1024 * MiB + 12345;
        const long chunk = 64 * MiB;
        using var http = Client(Through);
        using var start = await http.PostAsync("/v2/cluster/huge/blobs/uploads/", Empty());
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = start.Headers.Location!.OriginalString;
        await using var source = new HashingStream(new DeterministicStream(seed: 7, size));
        for (long offset = 0; offset < size; offset += chunk)
        {
            var length = Math.Min(chunk, size - offset);
            var body = new StreamContent(new Window(source, length));
            body.Headers.ContentLength = length;
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            body.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
            using var patched = await http.SendAsync(new HttpRequestMessage(HttpMethod.Patch, location) { Content = body });
            Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);
            location = patched.Headers.Location!.OriginalString;
        }
        var digest = source.Digest;
        using (var put = await http.PutAsync(location + (location.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "digest=" + digest, Empty()))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using var pulled = await http.GetAsync($"/v2/cluster/huge/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(size, pulled.Content.Headers.ContentLength);
        await using (var stream = await pulled.Content.ReadAsStreamAsync())
        {
            Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)));
        }
        foreach (var replica in cluster.Replicas)
        {
            var peak = replica.ReadPeakRssBytes();
            output.WriteLine($"replica on port {replica.Port}: peak RSS {peak / MiB} MiB");
            Assert.True(peak < 300 * MiB, $"a replica peaked at {peak / MiB} MiB during a 1 GiB upload");
        }
    }

    [Fact]
    public async Task T5c_GarbageCollectedOnTheCluster_BytesLeaveTheBucketAndNoReplicaServesThemFromCache()
    {
        using var a = Client(cluster.Replicas[0].HostPort);
        using var b = Client(cluster.Replicas[1].HostPort);
        using var c = Client(cluster.Replicas[2].HostPort);
        var gone = await PushSmallImageAsync(a, "cluster/gc", "gone", "collected");
        var kept = await PushSmallImageAsync(a, "cluster/gc", "kept", "stays");
        var goneConfig = await ConfigOfAsync(b, "cluster/gc", gone);
        // Every replica has now read (and cached) the image and its config's link.
        foreach (var replica in new[] { a, b, c })
        {
            using var config = await replica.GetAsync($"/v2/cluster/gc/blobs/{goneConfig}");
            Assert.Equal(HttpStatusCode.OK, config.StatusCode);
        }
        using (var delete = await b.DeleteAsync($"/v2/cluster/gc/manifests/{gone}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        Assert.Contains(goneConfig[7..], await BucketKeysAsync());

        // The collection runs beside the replicas, on their database and bucket, as an operator runs it.
        var gc = await Wharf.Tests.Import.WharfCli.RunAsync(output, ["gc", .. cluster.Arguments, "--Gc:ReviewDelay", "00:00:00"]);

        Assert.Equal(0, gc.ExitCode);
        var keys = await BucketKeysAsync();
        Assert.DoesNotContain(goneConfig[7..], keys);
        Assert.DoesNotContain(gone[7..], keys);
        Assert.Contains(kept[7..], keys);
        foreach (var replica in new[] { a, b, c })
        {
            // At once: the collector told every replica what it unlinked before it finished.
            using var config = await replica.GetAsync($"/v2/cluster/gc/blobs/{goneConfig}");
            Assert.Equal(HttpStatusCode.NotFound, config.StatusCode);
            Assert.Equal(kept, await DigestOfAsync(replica, "cluster/gc", "kept"));
        }
    }

    private static async Task<string> ConfigOfAsync(HttpClient replica, string repository, string digest)
    {
        using var document = JsonDocument.Parse(await replica.GetStringAsync($"/v2/{repository}/manifests/{digest}"));
        return document.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
    }

    /// <summary>Every key in the cluster's bucket, one string.</summary>
    private async Task<string> BucketKeysAsync()
    {
        var keys = new StringBuilder();
        string? token = null;
        do
        {
            var page = await cluster.Rgw.Client.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = cluster.Bucket, ContinuationToken = token });
            foreach (var entry in page.S3Objects ?? [])
            {
                keys.AppendLine(entry.Key);
            }
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        return keys.ToString();
    }

    [Fact]
    public async Task T6_ReplicaKilledDuring200MiBPush_ClientRetrySucceedsAndEarlierImagesPullBitForBit()
    {
        using var skopeo = new Skopeo(output);
        var earlier = OciLayout.Create(Path.Combine(_work, "earlier"));
        var before = earlier.AddImage("v1", layerCount: 2, seed: 104);
        (await skopeo.CopyAsync($"oci:{earlier.Root}:v1", $"docker://{Through}/cluster/earlier:v1", "--preserve-digests")).EnsureSuccess();
        var big = OciLayout.Create(Path.Combine(_work, "big"));
        var bigImage = big.AddBigLayerImage("v1", 200 * MiB, seed: 105);
        var destination = $"docker://{Through}/cluster/big:v1";

        // Push, and kill -9 whichever replica is receiving the layer once it is well under way.
        var push = skopeo.CopyAsync($"oci:{big.Root}:v1", destination, "--preserve-digests");
        var victim = await KillReceivingReplicaAsync(push);
        var firstTry = await push;
        output.WriteLine($"killed replica {victim}; the first push {(firstTry.Succeeded ? "still succeeded" : "failed: " + firstTry.StdErr)}");

        // The client's retry goes through nginx, which skips the dead replica.
        (await skopeo.CopyAsync($"oci:{big.Root}:v1", destination, "--preserve-digests")).EnsureSuccess();

        var pulled = Path.Combine(_work, "pulled-after-kill");
        (await skopeo.CopyAsync(destination, $"oci:{pulled}:big", "--preserve-digests")).EnsureSuccess();
        (await skopeo.CopyAsync($"docker://{Through}/cluster/earlier:v1", $"oci:{pulled}:earlier", "--preserve-digests")).EnsureSuccess();
        (await skopeo.CopyAsync($"docker://{Through}/cluster/app:v1", $"oci:{pulled}:app", "--preserve-digests")).EnsureSuccess();
        Assert.Equal(bigImage.Manifest.Digest, OciLayout.ReadTag(pulled, "big").Digest);
        Assert.Equal(before.Manifest.Digest, OciLayout.ReadTag(pulled, "earlier").Digest);
        foreach (var blob in bigImage.Layers.Concat(before.Layers).Append(bigImage.Config).Append(before.Config))
        {
            Assert.Equal(blob.Digest, OciLayout.ComputeFileDigest(OciLayout.BlobPath(pulled, blob.Digest)));
        }

        // The killed replica comes back on the same database and bucket and serves the new image.
        await cluster.Replicas[victim].RestartAsync(graceful: false);
        using var restarted = Client(cluster.Replicas[victim].HostPort);
        Assert.Equal(bigImage.Manifest.Digest, await DigestOfAsync(restarted, "cluster/big", "v1"));
    }

    // Finds the replica whose log shows the layer's PATCH starting (the first PATCH of the push: the
    // config goes after the layers), lets it take part of the 200 MiB, then kills it with SIGKILL.
    private async Task<int> KillReceivingReplicaAsync(Task push)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            for (var i = 0; i < cluster.Replicas.Count; i++)
            {
                var started = cluster.Replicas[i].RecentOutput(2000).Split('\n')
                    .Any(line => line.Contains("PATCH", StringComparison.Ordinal) && line.Contains("/v2/cluster/big/blobs/uploads/", StringComparison.Ordinal));
                if (started)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(400));
                    Assert.False(push.IsCompleted, "the push finished before a replica could be killed under it");
                    Process.GetProcessById(cluster.Replicas[i].Pid).Kill();
                    return i;
                }
            }
            Assert.False(push.IsCompleted, "the push finished before any replica logged receiving its layer");
            await Task.Delay(20);
        }
        throw new TimeoutException("no replica logged receiving the big layer");
    }

    private void AssertEveryReplicaServed(string what)
    {
        // Requests nginx answered itself name no replica ("-"); every replica must appear among the rest.
        var replicas = cluster.Balancer.ReadAccessLog().Select(r => cluster.ReplicaIndex(r.Replica)).Where(i => i >= 0).Distinct().Order().ToList();
        Assert.True(replicas.SequenceEqual([0, 1, 2]), $"{what}: nginx sent requests only to replicas {string.Join(", ", replicas)}");
    }

    private static async Task<T> EventuallyAsync<T>(Func<T> read, Func<T, bool> done)
    {
        var value = read();
        for (var i = 0; i < 100 && !done(value); i++)
        {
            await Task.Delay(20);
            value = read();
        }
        return value;
    }

    private static HttpClient Client(string hostPort) =>
        new() { BaseAddress = new Uri($"http://{hostPort}/"), Timeout = TimeSpan.FromMinutes(5) };

    private static ByteArrayContent Empty()
    {
        var content = new ByteArrayContent([]);
        content.Headers.ContentLength = 0;
        return content;
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static async Task<string> DigestOfAsync(HttpClient replica, string repository, string tag)
    {
        using var response = await replica.GetAsync($"/v2/{repository}/manifests/{tag}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single(response.Headers.GetValues("Docker-Content-Digest"));
    }

    private static async Task<string> PushSmallImageAsync(HttpClient http, string repository, string tag, string seed)
    {
        var config = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { architecture = "amd64", os = "linux", seed }));
        var configDigest = Sha256(config);
        using (var blob = await http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={configDigest}", new ByteArrayContent(config)))
        {
            Assert.Equal(HttpStatusCode.Created, blob.StatusCode);
        }
        var manifest = $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[]}""";
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(manifest));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.oci.image.manifest.v1+json");
        using var put = await http.PutAsync($"/v2/{repository}/manifests/{tag}", content);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return Assert.Single(put.Headers.GetValues("Docker-Content-Digest"));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>The next <c>length</c> bytes of a stream that stays open: one chunk of a longer body.</summary>
    private sealed class Window(Stream inner, long length) : Stream
    {
        private readonly long _length = length;
        private long _left = length;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => _length - _left; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, (int)Math.Min(count, _left));
            _left -= read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
