using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Wharf.Tests.Api;
using Wharf.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Wharf.Tests.Gc;

/// <summary>
/// Nothing lost: eight clients push random images (some layers shared by all), tag, move tags and
/// delete for a minute against the real server, while its collector runs continuously with no
/// review delay and untagged collection on. Afterwards every image a client was told is stored and
/// still tagged pulls bit for bit, and the blob store holds exactly the files those images need:
/// what was deleted is gone from disk, and no file is left that nothing references.
/// WHARF_GC_STRESS_SECONDS shortens or lengthens the minute.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class GcStressTests(ITestOutputHelper output) : EndToEndTestBase(output)
{
    private const int Clients = 8;
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private static readonly string[] Repositories = ["stress/a", "stress/b", "stress/c"];

    private static TimeSpan Duration =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("WHARF_GC_STRESS_SECONDS"), out var s) && s > 0 ? s : 60);

    [Fact]
    public async Task PushTagDeleteWhileCollecting_NothingAcknowledgedIsLostAndNothingUnusedStays()
    {
        await using var wharf = await WharfProcess.StartAsync(new WharfStartOptions
        {
            Arguments = ["--Gc:ReviewDelay", "00:00:00", "--Gc:Interval", "00:00:00.1", "--Gc:DeleteUntagged", "true"],
        }, Output);
        // Layers every client uses: pushed, unlinked and re-pushed over and over by different clients.
        var shared = Enumerable.Range(0, 4).Select(i => Encoding.UTF8.GetBytes($"shared base layer {i} " + new string('b', 3000 + i))).ToArray();
        var images = new ConcurrentDictionary<string, Image>(); // manifest digest -> image, for what is tagged at the end
        var tags = new ConcurrentDictionary<(string Repository, string Tag), string>();
        var deleted = new ConcurrentBag<Image>();
        var stats = new ConcurrentDictionary<string, int>();
        var until = DateTime.UtcNow + Duration;

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            using var http = wharf.CreateClient(TimeSpan.FromSeconds(30));
            var random = new Random(1000 + c);
            var mine = new List<Image>();
            var pushes = 0;
            while (DateTime.UtcNow < until)
            {
                var roll = random.Next(100);
                if (roll < 50 || mine.Count == 0)
                {
                    var image = NewImage(c, pushes++, random, shared);
                    var tag = $"c{c}-{pushes}";
                    if (await PushAsync(http, image, tag, stats))
                    {
                        images[image.Digest] = image;
                        tags[(image.Repository, tag)] = image.Digest;
                        mine.Add(image);
                    }
                }
                else if (roll < 70)
                {
                    // Another tag for an image: the manifest is pushed again, by tag.
                    var image = mine[random.Next(mine.Count)];
                    var tag = $"c{c}-extra-{random.Next(1_000_000)}";
                    if (await PutManifestAsync(http, image, tag) == HttpStatusCode.Created)
                    {
                        tags[(image.Repository, tag)] = image.Digest;
                    }
                }
                else if (roll < 80)
                {
                    // A tag moved to another image of the same repository: the one it left may go untagged.
                    var image = mine[random.Next(mine.Count)];
                    var mineTags = tags.Where(t => t.Key.Repository == image.Repository && t.Key.Tag.StartsWith($"c{c}-", StringComparison.Ordinal)).ToList();
                    if (mineTags.Count > 0)
                    {
                        var moved = mineTags[random.Next(mineTags.Count)].Key;
                        if (await PutManifestAsync(http, image, moved.Tag) == HttpStatusCode.Created)
                        {
                            tags[moved] = image.Digest;
                            stats.AddOrUpdate("moved", 1, (_, n) => n + 1);
                        }
                    }
                }
                else
                {
                    var image = mine[random.Next(mine.Count)];
                    mine.Remove(image);
                    using var response = await http.DeleteAsync($"/v2/{image.Repository}/manifests/{image.Digest}");
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        foreach (var tag in tags.Where(t => t.Value == image.Digest).Select(t => t.Key).ToList())
                        {
                            tags.TryRemove(tag, out _);
                        }
                        images.TryRemove(image.Digest, out _);
                        deleted.Add(image);
                        stats.AddOrUpdate("deleted", 1, (_, n) => n + 1);
                    }
                }
            }
        })));

        // What a client could still pull: images some tag names (untagged ones are collected).
        var live = tags.Values.Distinct().Select(d => images[d]).ToList();
        Output.WriteLine($"{string.Join(", ", stats.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value}"))}; {live.Count} images tagged at the end, {deleted.Count} deleted");
        Assert.True(live.Count > 20 && deleted.Count > 10, "the clients did too little for the test to mean anything");

        using var client = wharf.CreateClient(TimeSpan.FromSeconds(30));
        await WaitUntilCollectedAsync(client);

        foreach (var ((repository, tag), digest) in tags)
        {
            var image = images[digest];
            using var manifest = await client.GetAsync($"/v2/{repository}/manifests/{tag}");
            Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
            Assert.Equal(image.Manifest, await manifest.Content.ReadAsByteArrayAsync());
            foreach (var (blobDigest, bytes) in image.Blobs)
            {
                using var blob = await client.GetAsync($"/v2/{repository}/blobs/{blobDigest}");
                Assert.True(blob.StatusCode == HttpStatusCode.OK, $"{repository}:{tag} lost blob {blobDigest}");
                Assert.Equal(bytes, await blob.Content.ReadAsByteArrayAsync());
            }
        }
        var needed = live.SelectMany(i => i.Blobs.Select(b => b.Digest).Append(i.Digest)).ToHashSet();
        var onDisk = StoredBlobFiles.All(wharf.StorageRoot).ToHashSet();
        Assert.Empty(needed.Except(onDisk));
        var unreferenced = onDisk.Except(needed).ToList();
        Assert.True(unreferenced.Count == 0, $"{unreferenced.Count} files nothing references are left, e.g. {unreferenced.FirstOrDefault()}");
        Assert.All(deleted.Select(d => d.Digest), digest => Assert.DoesNotContain(digest, onDisk));
    }

    private sealed record Image(string Repository, string Digest, byte[] Manifest, IReadOnlyList<(string Digest, byte[] Bytes)> Blobs);

    private static Image NewImage(int client, int n, Random random, byte[][] shared)
    {
        var repository = Repositories[random.Next(Repositories.Length)];
        var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"client\":{client},\"n\":{n},\"r\":{random.Next()}}}");
        var layers = new List<byte[]>();
        if (random.Next(3) > 0)
        {
            layers.Add(shared[random.Next(shared.Length)]);
        }
        for (var i = random.Next(1, 3); i > 0; i--)
        {
            var layer = new byte[random.Next(512, 16 * 1024)];
            random.NextBytes(layer);
            layers.Add(layer);
        }
        var blobs = layers.Prepend(config).Select(b => (RegistryClient.DigestOf(b), b)).ToList();
        var manifest = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestType,
            ["config"] = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = blobs[0].Item1, size = config.Length },
            ["layers"] = blobs.Skip(1).Select(l => new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest = l.Item1, size = l.b.Length }).ToArray(),
        }));
        return new Image(repository, RegistryClient.DigestOf(manifest), manifest, blobs);
    }

    /// <summary>Uploads the blobs and the manifest. A MANIFEST_BLOB_UNKNOWN (the collector took an
    /// uploaded blob nothing referenced yet) is answered as a client does: upload again, retry.</summary>
    private static async Task<bool> PushAsync(HttpClient http, Image image, string tag, ConcurrentDictionary<string, int> stats)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            foreach (var (digest, bytes) in image.Blobs)
            {
                using var upload = await http.PostAsync($"/v2/{image.Repository}/blobs/uploads/?digest={digest}", new ByteArrayContent(bytes));
                Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
            }
            var status = await PutManifestAsync(http, image, tag);
            if (status == HttpStatusCode.Created)
            {
                stats.AddOrUpdate("pushed", 1, (_, n) => n + 1);
                return true;
            }
            Assert.Equal(HttpStatusCode.BadRequest, status);
            stats.AddOrUpdate("blob taken by gc, uploaded again", 1, (_, n) => n + 1);
        }
        return false;
    }

    private static async Task<HttpStatusCode> PutManifestAsync(HttpClient http, Image image, string tag)
    {
        var content = new ByteArrayContent(image.Manifest);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(ManifestType);
        using var response = await http.PutAsync($"/v2/{image.Repository}/manifests/{tag}", content);
        return response.StatusCode;
    }

    /// <summary>Waits until the collector has nothing due and finds nothing more to reclaim.</summary>
    private static async Task WaitUntilCollectedAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            using var report = JsonDocument.Parse(await http.GetStringAsync("/wharf/gc"));
            var root = report.RootElement;
            var settled = root.GetProperty("reviews").GetProperty("due").GetInt64() == 0
                && root.GetProperty("reclaimable").GetProperty("blobs").GetInt64() == 0
                && root.GetProperty("reclaimable").GetProperty("manifests").GetInt64() == 0
                && root.GetProperty("reclaimable").GetProperty("waiting").GetInt64() == 0;
            if (settled || DateTime.UtcNow > deadline)
            {
                return;
            }
            await Task.Delay(200);
        }
    }
}
