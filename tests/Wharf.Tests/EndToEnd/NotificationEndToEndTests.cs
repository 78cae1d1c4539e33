using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Wharf.Tests.Notifications;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>Notifications from the real server: skopeo's push reaches a webhook receiver, and
/// events queued while the receiver is down survive a restart of the server.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class NotificationEndToEndTests(ITestOutputHelper output) : EndToEndTestBase(output)
{
    private static WharfStartOptions Notifying(EventReceiver receiver) => new()
    {
        Arguments =
        [
            "--Notifications:Endpoints:0:Name", "e2e",
            "--Notifications:Endpoints:0:Url", receiver.Url,
            // Quick retries, so the test does not wait long for a receiver that came back.
            "--Notifications:Endpoints:0:Threshold", "1",
            "--Notifications:Endpoints:0:Backoff", "00:00:00.2",
            "--Notifications:Endpoints:0:Timeout", "00:00:01",
            "--Notifications:Endpoints:0:Headers:Authorization:0", "Bearer e2e-token",
        ],
    };

    [Fact]
    public async Task SkopeoPush_ThenReceiverDownFor100PushesAndARestart_EveryEventArrives()
    {
        using var skopeo = new Skopeo(Output);
        await using var receiver = await EventReceiver.StartNewAsync();
        await using var wharf = await WharfProcess.StartAsync(Notifying(receiver), Output);

        // 1. skopeo's push: the manifest's push event names its digest, tag and repository.
        var source = OciLayout.Create(Path.Combine(WorkDir, "source"));
        var image = source.AddImage("v1", layerCount: 2, seed: 7);
        (await skopeo.CopyAsync($"oci:{source.Root}:v1", $"docker://{wharf.HostPort}/notify/app:v1", "--preserve-digests")).EnsureSuccess(wharf);

        var pushed = await receiver.WaitForAsync(
            events => events.Any(e => e.Action() == "push" && e.Str("target.digest") == image.Manifest.Digest),
            TimeSpan.FromSeconds(30), "the push event of skopeo's manifest");
        var manifestEvent = Assert.Single(pushed, e => e.Str("target.digest") == image.Manifest.Digest);
        Assert.Equal(("notify/app", "v1", OciLayout.ManifestMediaType), (manifestEvent.Repository(), manifestEvent.Str("target.tag"), manifestEvent.Str("target.mediaType")));
        Assert.Equal($"http://{wharf.HostPort}/v2/notify/app/manifests/{image.Manifest.Digest}", manifestEvent.Str("target.url"));
        Assert.StartsWith("skopeo", manifestEvent.Str("request.useragent") ?? "", StringComparison.OrdinalIgnoreCase);
        Assert.All(receiver.Envelopes, e => Assert.Equal("Bearer e2e-token", e.Headers["Authorization"]));
        foreach (var blob in image.Layers.Append(image.Config))
        {
            Assert.Contains(pushed, e => e.Action() == "push" && e.Str("target.digest") == blob.Digest && e.Repository() == "notify/app");
        }

        // 2. The receiver goes down; 100 manifests are pushed by tag.
        await receiver.StopAsync();
        var expected = await PushManifestsAsync(wharf, "notify/many", 100);

        // 3. Wharf is killed and started again on the same data and settings, then the receiver comes back.
        await Task.Delay(500);
        await wharf.RestartAsync(graceful: false);
        await receiver.StartAsync();

        var received = await receiver.WaitForAsync(
            events => expected.All(x => events.Any(e => e.Str("target.tag") == x.Tag && e.Str("target.digest") == x.Digest)),
            TimeSpan.FromSeconds(90), "the 100 push events queued while it was down");
        var many = received.Where(e => e.Repository() == "notify/many" && e.Str("target.mediaType") == OciLayout.ManifestMediaType).ToList();
        // At-least-once: a redelivered event is a byte-for-byte copy, id included.
        foreach (var copies in many.GroupBy(e => e.Str("id")))
        {
            Assert.Single(copies.Select(e => e.GetRawText()).Distinct());
        }
        var unique = many.DistinctBy(e => e.Str("id")).ToList();
        Assert.Equal(100, unique.Count);
        Assert.Equal(expected.Select(x => (x.Tag, x.Digest)).Order(), unique.Select(e => (e.Str("target.tag")!, e.Str("target.digest")!)).Order());
        Output.WriteLine($"{many.Count} manifest events received for 100 pushes ({many.Count - unique.Count} redelivered)");
    }

    /// <summary>One config blob, then <paramref name="count"/> small manifests on it, each under its own tag.</summary>
    private static async Task<List<(string Tag, string Digest)>> PushManifestsAsync(WharfProcess wharf, string repository, int count)
    {
        using var http = wharf.CreateClient();
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
        var configDigest = OciLayout.ComputeDigest(config);
        using (var upload = await http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={configDigest}", new ByteArrayContent(config)))
        {
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        }
        var pushed = new List<(string, string)>();
        for (var i = 0; i < count; i++)
        {
            var manifest = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = OciLayout.ManifestMediaType,
                ["config"] = new Dictionary<string, object> { ["mediaType"] = OciLayout.ConfigMediaType, ["digest"] = configDigest, ["size"] = config.Length },
                ["layers"] = Array.Empty<object>(),
                ["annotations"] = new Dictionary<string, string> { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            });
            var content = new ByteArrayContent(manifest);
            content.Headers.ContentType = new MediaTypeHeaderValue(OciLayout.ManifestMediaType);
            var tag = $"t{i}";
            using var response = await http.PutAsync($"/v2/{repository}/manifests/{tag}", content);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            pushed.Add((tag, OciLayout.ComputeDigest(manifest)));
        }
        return pushed;
    }
}
