using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// End-to-end tests run one at a time: each starts real server processes and moves hundreds of MiB, and
/// the peak-memory figure must not be disturbed by other tests sharing the two cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection
{
    public const string Name = "EndToEnd";
}

/// <summary>The real server (its own process, real HTTP) driven by the real skopeo client and raw HTTP.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class SkopeoEndToEndTests(ITestOutputHelper output) : EndToEndTestBase(output)
{
    private const long MiB = 1024 * 1024;
    [Fact]
    public async Task Copy_MultiLayerImage_RoundTripsWithIdenticalDigests()
    {
        using var skopeo = new Skopeo(Output);
        await using var wharf = await WharfProcess.StartAsync(Output);
        var source = OciLayout.Create(Path.Combine(WorkDir, "source"));
        var image = source.AddImage("v1", layerCount: 3, seed: 1);
        var remote = $"docker://{wharf.HostPort}/team/app:v1";
        var pulledDir = Path.Combine(WorkDir, "pulled");

        // --preserve-digests makes skopeo refuse, rather than silently do, any rewrite of the image.
        (await skopeo.CopyAsync($"oci:{source.Root}:v1", remote, "--preserve-digests")).EnsureSuccess(wharf);
        (await skopeo.CopyAsync(remote, $"oci:{pulledDir}:v1", "--preserve-digests")).EnsureSuccess(wharf);

        Assert.Equal(image.Manifest.Digest, OciLayout.ReadTag(pulledDir, "v1").Digest);
        var raw = (await skopeo.InspectRawAsync(remote)).EnsureSuccess(wharf).StdOutBytes;
        Assert.Equal(image.Manifest.Digest, OciLayout.ComputeDigest(raw));
        Assert.Equal(3, image.Layers.Count);
        foreach (var blob in image.Layers.Append(image.Config).Append(image.Manifest))
        {
            AssertBlobIntact(pulledDir, blob);
        }
    }

    [Fact]
    public async Task Copy_TwoPlatformIndexWithAll_RoundTripsWithIdenticalDigests()
    {
        using var skopeo = new Skopeo(Output);
        await using var wharf = await WharfProcess.StartAsync(Output);
        var source = OciLayout.Create(Path.Combine(WorkDir, "source"));
        var index = source.AddTwoPlatformIndex("v1", seed: 2);
        var remote = $"docker://{wharf.HostPort}/team/multi:v1";
        var pulledDir = Path.Combine(WorkDir, "pulled");

        (await skopeo.CopyAsync($"oci:{source.Root}:v1", remote, "--all", "--preserve-digests")).EnsureSuccess(wharf);
        (await skopeo.CopyAsync(remote, $"oci:{pulledDir}:v1", "--all", "--preserve-digests")).EnsureSuccess(wharf);

        var pulled = OciLayout.ReadTag(pulledDir, "v1");
        Assert.Equal(index.Index.Digest, pulled.Digest);
        Assert.Equal(OciLayout.IndexMediaType, pulled.MediaType);
        var raw = (await skopeo.InspectRawAsync(remote)).EnsureSuccess(wharf).StdOutBytes;
        Assert.Equal(index.Index.Digest, OciLayout.ComputeDigest(raw));

        var children = OciLayout.ReadIndexManifests(pulledDir, pulled.Digest);
        Assert.Equal(index.Images.Select(i => i.Manifest.Digest), children.Select(c => c.Digest));
        foreach (var image in index.Images)
        {
            foreach (var blob in image.Layers.Append(image.Config).Append(image.Manifest))
            {
                AssertBlobIntact(pulledDir, blob);
            }
        }
    }

    [Fact]
    public async Task Copy_LayerOver200MiB_RoundTripsWithIdenticalDigests()
    {
        using var skopeo = new Skopeo(Output);
        await using var wharf = await WharfProcess.StartAsync(Output);
        var source = OciLayout.Create(Path.Combine(WorkDir, "source"));
        var clock = Stopwatch.StartNew();
        var image = source.AddBigLayerImage("v1", payloadBytes: 201 * MiB, seed: 3);
        Output.WriteLine($"generated a {image.Layers[0].Size / (double)MiB:F1} MiB layer in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(image.Layers[0].Size >= 200 * MiB);
        var remote = $"docker://{wharf.HostPort}/team/big:v1";
        var pulledDir = Path.Combine(WorkDir, "pulled");

        (await skopeo.CopyAsync($"oci:{source.Root}:v1", remote, "--preserve-digests")).EnsureSuccess(wharf);
        (await skopeo.CopyAsync(remote, $"oci:{pulledDir}:v1", "--preserve-digests")).EnsureSuccess(wharf);

        Assert.Equal(image.Manifest.Digest, OciLayout.ReadTag(pulledDir, "v1").Digest);
        AssertBlobIntact(pulledDir, image.Layers[0]);
        AssertBlobIntact(pulledDir, image.Config);
        Output.WriteLine($"Wharf peak RSS: {wharf.ReadPeakRssBytes() / (double)MiB:F1} MiB");
    }

    [Fact]
    public async Task Copy_SignatureLikeReferrer_IsListedByReferrersApi()
    {
        using var skopeo = new Skopeo(Output);
        await using var wharf = await WharfProcess.StartAsync(Output);
        var source = OciLayout.Create(Path.Combine(WorkDir, "source"));
        var image = source.AddImage("v1", layerCount: 1, seed: 7);
        var signature = source.AddReferrer("sig", image.Manifest, "application/vnd.example.signature.v1", "alice");

        (await skopeo.CopyAsync($"oci:{source.Root}:v1", $"docker://{wharf.HostPort}/team/signed:v1", "--preserve-digests")).EnsureSuccess(wharf);
        (await skopeo.CopyAsync($"oci:{source.Root}:sig", $"docker://{wharf.HostPort}/team/signed:sig", "--preserve-digests")).EnsureSuccess(wharf);

        using var http = new HttpClient { BaseAddress = wharf.BaseAddress };
        using var response = await http.GetAsync($"/v2/team/signed/referrers/{image.Manifest.Digest}");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var referrer = body.RootElement.GetProperty("manifests").EnumerateArray().Single();
        Assert.Equal(signature.Digest, referrer.GetProperty("digest").GetString());
        Assert.Equal("application/vnd.example.signature.v1", referrer.GetProperty("artifactType").GetString());
        Assert.Equal("alice", referrer.GetProperty("annotations").GetProperty("org.example.signer").GetString());
    }

    [Fact]
    public async Task ListTags_AfterPushingTwoTags_ListsBothTags()
    {
        using var skopeo = new Skopeo(Output);
        await using var wharf = await WharfProcess.StartAsync(Output);
        var source = OciLayout.Create(Path.Combine(WorkDir, "source"));
        source.AddImage("v1", layerCount: 2, seed: 4);
        source.AddImage("v2", layerCount: 1, seed: 5);

        foreach (var tag in new[] { "v1", "v2" })
        {
            (await skopeo.CopyAsync($"oci:{source.Root}:{tag}", $"docker://{wharf.HostPort}/team/app:{tag}"))
                .EnsureSuccess(wharf);
        }

        var listing = (await skopeo.ListTagsAsync($"docker://{wharf.HostPort}/team/app")).EnsureSuccess(wharf);
        using var json = JsonDocument.Parse(listing.StdOut);
        var tags = json.RootElement.GetProperty("Tags").EnumerateArray().Select(t => t.GetString()).Order().ToList();
        Assert.Equal(["v1", "v2"], tags);
    }

    [Fact]
    public async Task Delete_ManifestByDigest_InspectThenFails()
    {
        using var skopeo = new Skopeo(Output);
        await using var wharf = await WharfProcess.StartAsync(Output);
        var source = OciLayout.Create(Path.Combine(WorkDir, "source"));
        var image = source.AddImage("v1", layerCount: 2, seed: 6);
        (await skopeo.CopyAsync($"oci:{source.Root}:v1", $"docker://{wharf.HostPort}/team/app:v1")).EnsureSuccess(wharf);
        var byDigest = $"docker://{wharf.HostPort}/team/app@{image.Manifest.Digest}";
        (await skopeo.InspectRawAsync(byDigest)).EnsureSuccess(wharf);

        (await skopeo.DeleteAsync(byDigest)).EnsureSuccess(wharf);

        var inspect = await skopeo.InspectRawAsync(byDigest);
        Assert.False(inspect.Succeeded, $"inspect of a deleted manifest succeeded:\n{inspect.StdOut}");
        using var http = wharf.CreateClient();
        using var get = await http.GetAsync($"v2/team/app/manifests/{image.Manifest.Digest}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task PushBlob_OneGiBStreamed_ServerPeakRssStaysUnder200MiB()
    {
        const long size = 1024 * MiB;
        await using var wharf = await WharfProcess.StartAsync(Output);
        using var http = wharf.CreateClient(TimeSpan.FromMinutes(10));
        Output.WriteLine($"Wharf peak RSS after start: {wharf.ReadPeakRssBytes() / (double)MiB:F1} MiB");

        using var start = await http.PostAsync("v2/big/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);

        // The body is generated while it is sent and hashed on the way, so 1 GiB never exists in memory
        // and the digest is known once the PATCH completes.
        var clock = Stopwatch.StartNew();
        using var body = new HashingStream(new DeterministicStream(seed: 7, size));
        using var patch = new HttpRequestMessage(HttpMethod.Patch, UploadLocation(wharf, start))
        {
            Content = new StreamContent(body, 1024 * 1024),
        };
        patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        patch.Content.Headers.ContentLength = size;
        using var patched = await http.SendAsync(patch);
        Assert.True(patched.StatusCode == HttpStatusCode.Accepted,
            $"PATCH answered {(int)patched.StatusCode}: {await patched.Content.ReadAsStringAsync()}");
        Assert.Equal(size, body.BytesHashed);
        var digest = body.Digest;

        using var put = await http.PutAsync(WithDigest(UploadLocation(wharf, patched), digest), null);
        Assert.True(put.StatusCode == HttpStatusCode.Created,
            $"PUT answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        Output.WriteLine($"pushed 1 GiB in {clock.Elapsed.TotalSeconds:F1} s");

        var peak = wharf.ReadPeakRssBytes();
        Output.WriteLine($"Wharf peak RSS (VmHWM) after pushing 1 GiB: {peak / (double)MiB:F1} MiB ({peak} bytes)");
        Assert.True(peak < 200 * MiB, $"Wharf peak RSS {peak / (double)MiB:F1} MiB is not under 200 MiB");

        using var head = new HttpRequestMessage(HttpMethod.Head, $"v2/big/blobs/{digest}");
        using var headed = await http.SendAsync(head);
        Assert.Equal(HttpStatusCode.OK, headed.StatusCode);
        Assert.Equal(size, headed.Content.Headers.ContentLength);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ChunkedUpload_ContinuedAfterServerRestart_CompletesWithMatchingDigest(bool graceful)
    {
        var blob = new byte[8 * MiB + 45];
        using (var source = new DeterministicStream(seed: 8, blob.Length))
        {
            source.ReadExactly(blob);
        }

        var digest = OciLayout.ComputeDigest(blob);
        var firstLength = (int)(3 * MiB + 123);
        await using var wharf = await WharfProcess.StartAsync(Output);

        Uri location;
        using (var http = wharf.CreateClient())
        {
            using var start = await http.PostAsync("v2/team/resume/blobs/uploads/", null);
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
            using var first = await PatchChunkAsync(http, UploadLocation(wharf, start), blob, 0, firstLength);
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            Assert.Equal($"0-{firstLength - 1}", SingleHeader(first, "Range"));
            location = UploadLocation(wharf, first);
        }

        // SIGTERM (graceful) or SIGKILL: a chunk acknowledged with 202 must survive either.
        await wharf.RestartAsync(graceful);

        using (var http = wharf.CreateClient())
        {
            using var status = await http.GetAsync(location);
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal($"0-{firstLength - 1}", SingleHeader(status, "Range"));

            using var second = await PatchChunkAsync(http, location, blob, firstLength, blob.Length - firstLength);
            Assert.True(second.StatusCode == HttpStatusCode.Accepted,
                $"second PATCH answered {(int)second.StatusCode}: {await second.Content.ReadAsStringAsync()}");
            Assert.Equal($"0-{blob.Length - 1}", SingleHeader(second, "Range"));

            using var put = await http.PutAsync(WithDigest(UploadLocation(wharf, second), digest), null);
            Assert.True(put.StatusCode == HttpStatusCode.Created,
                $"PUT answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");

            var fetched = await http.GetByteArrayAsync($"v2/team/resume/blobs/{digest}");
            Assert.Equal(blob.Length, fetched.Length);
            Assert.Equal(digest, OciLayout.ComputeDigest(fetched));
        }
    }

    private static async Task<HttpResponseMessage> PatchChunkAsync(HttpClient http, Uri location, byte[] blob, int offset, int count)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, location)
        {
            Content = new ByteArrayContent(blob, offset, count),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        // The distribution spec's Content-Range has no "bytes " unit, so it is added without validation.
        request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + count - 1}");
        return await http.SendAsync(request);
    }

    /// <summary>The upload URL from a response's Location header, which may be relative.</summary>
    private static Uri UploadLocation(WharfProcess wharf, HttpResponseMessage response)
    {
        var location = response.Headers.Location;
        Assert.True(location is not null, $"{(int)response.StatusCode} response has no Location header");
        return location.IsAbsoluteUri ? location : new Uri(wharf.BaseAddress, location);
    }

    private static Uri WithDigest(Uri location, string digest)
    {
        var builder = new UriBuilder(location);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length == 0 ? "" : query + "&") + "digest=" + Uri.EscapeDataString(digest);
        return builder.Uri;
    }

    private static string SingleHeader(HttpResponseMessage response, string name)
    {
        Assert.True(response.Headers.TryGetValues(name, out var values), $"{(int)response.StatusCode} response has no {name} header");
        return Assert.Single(values);
    }

    private static void AssertBlobIntact(string layoutRoot, OciDescriptor blob)
    {
        var path = OciLayout.BlobPath(layoutRoot, blob.Digest);
        Assert.True(File.Exists(path), $"blob {blob.Digest} ({blob.MediaType}) is missing from {layoutRoot}");
        Assert.Equal(blob.Size, new FileInfo(path).Length);
        Assert.Equal(blob.Digest, OciLayout.ComputeFileDigest(path));
    }
}
