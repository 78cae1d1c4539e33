using System.Net;
using Wharf.Tests.EndToEnd;
using Wharf.Tests.Import;
using Xunit.Abstractions;

namespace Wharf.Tests.Proxy;

/// <summary>
/// The relay the proxy tests put between the proxy and its upstream, checked on its own against
/// docker-registry: it passes bytes through unchanged, counts blob GETs per digest, corrupts exactly one
/// byte when told to, and throttles. A proxy test that fails can then be blamed on the proxy.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class CountingRelayTests(ITestOutputHelper output) : EndToEndTestBase(output)
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task Relay_InFrontOfDistribution_CountsBlobGetsCorruptsOneByteAndThrottles()
    {
        using var skopeo = new Skopeo(Output);
        await using var registry = await DockerRegistryProcess.StartAsync(Path.Combine(WorkDir, "distribution"), Output);
        await using var relay = await CountingRelay.StartAsync($"http://{registry.HostPort}");
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddBigLayerImage("v1", payloadBytes: 4 * MiB, seed: 1301);
        var layer = image.Layers[0];

        // Through the relay both ways: a push (POST, PATCH, PUT with bodies) and a pull.
        (await skopeo.CopyAsync($"oci:{layout.Root}:v1", $"docker://{relay.HostPort}/relay/app:v1", "--preserve-digests")).EnsureSuccess();
        var pulled = Path.Combine(WorkDir, "pulled");
        (await skopeo.CopyAsync($"docker://{relay.HostPort}/relay/app:v1", $"oci:{pulled}:v1", "--preserve-digests")).EnsureSuccess();
        Assert.Equal(image.Manifest.Digest, OciLayout.ReadTag(pulled, "v1").Digest);
        Assert.Equal(layer.Digest, OciLayout.ComputeFileDigest(OciLayout.BlobPath(pulled, layer.Digest)));
        Assert.True(await ProxyTestSupport.EventuallyAsync(() => relay.BlobGets(layer.Digest) == 1, TimeSpan.FromSeconds(5)), relay.Describe());

        using var http = new HttpClient { BaseAddress = new Uri(relay.Url + "/"), Timeout = TimeSpan.FromMinutes(1) };
        relay.CorruptBlobDigest = layer.Digest;
        var corrupt = await ProxyTestSupport.ReadBlobAsync(http, "relay/app", layer.Digest);
        Assert.True(corrupt.Completed && corrupt.Bytes == layer.Size && corrupt.Digest != layer.Digest, corrupt.ToString());
        Assert.True(await ProxyTestSupport.EventuallyAsync(() => relay.Requests.Any(r => r.Corrupted), TimeSpan.FromSeconds(5)), relay.Describe());

        relay.CorruptBlobDigest = null;
        relay.ThrottleBytesPerSecond = 4 * MiB;
        var slow = await ProxyTestSupport.ReadBlobAsync(http, "relay/app", layer.Digest);
        Assert.True(slow.Completed && slow.Digest == layer.Digest, slow.ToString());
        Assert.True(slow.Elapsed > TimeSpan.FromSeconds(0.8), $"4 MiB at 4 MiB/s took only {slow.Elapsed.TotalSeconds:F2} s");
        Assert.True(await ProxyTestSupport.EventuallyAsync(() => relay.BlobGets(layer.Digest) == 3, TimeSpan.FromSeconds(5)), relay.Describe());

        using var missing = await http.GetAsync($"v2/relay/app/blobs/sha256:{new string('0', 64)}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Output.WriteLine(relay.Describe());
    }
}
