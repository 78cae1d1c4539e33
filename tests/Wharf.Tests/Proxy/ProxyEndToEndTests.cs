using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Wharf.Tests.EndToEnd;
using Wharf.Tests.Import;
using Xunit.Abstractions;
using static Wharf.Tests.Proxy.ProxyTestSupport;

namespace Wharf.Tests.Proxy;

/// <summary>
/// The pull-through cache (issue 13) end to end: a Wharf started with <c>--Proxy:Upstreams:N:...</c> in
/// front of real registries, driven by skopeo, podman and raw HTTP. Upstream A is CNCF distribution 2.8
/// (docker-registry, plain HTTP), upstream B a second Wharf with the built-in token service; a counting
/// relay (<see cref="CountingRelay"/>) between the proxy and A counts what the proxy asks of it and can
/// corrupt a blob; a <see cref="BlackHoleListener"/> is an upstream whose connects hang.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class ProxyEndToEndTests(ProxyUpstreamsFixture upstreams, ITestOutputHelper output)
    : EndToEndTestBase(output), IClassFixture<ProxyUpstreamsFixture>
{
    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan Quickly = TimeSpan.FromSeconds(5);

    private DockerRegistryProcess A => upstreams.Distribution;

    private WharfProcess B => upstreams.TokenWharf;

    // ---- 1. by prefix, from both kinds of upstream, with both clients ----

    /// <summary>The layout's image "a" to upstream A (distribution) and "b" to upstream B (the
    /// token-service Wharf, as bob), digests preserved.</summary>
    private async Task PushToBothUpstreamsAsync(Skopeo skopeo, OciLayout layout, string referenceInA, string referenceInB)
    {
        (await skopeo.CopyAsync($"oci:{layout.Root}:a", $"docker://{A.HostPort}/{referenceInA}", "--preserve-digests")).EnsureSuccess();
        (await PushWithCredentialsAsync(skopeo, $"oci:{layout.Root}:b", $"docker://{B.HostPort}/{referenceInB}",
            $"{ProxyUpstreamsFixture.Bob}:{ProxyUpstreamsFixture.BobPassword}")).EnsureSuccess(B);
    }

    [Fact]
    public async Task PullByPrefix_SkopeoAndPodman_FromDistributionAndTokenServiceWharf_BytesIdenticalToUpstream()
    {
        using var skopeo = new Skopeo(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var imageA = layout.AddImage("a", layerCount: 3, seed: 1311);
        var imageB = layout.AddImage("b", layerCount: 2, seed: 1312);
        await PushToBothUpstreamsAsync(skopeo, layout, "lib/app-a:v1", "team/app-b:v1");

        // What each upstream itself serves: the reference the proxy must match byte for byte.
        var rawA = (await skopeo.InspectRawAsync($"docker://{A.HostPort}/lib/app-a:v1")).EnsureSuccess().StdOutBytes;
        var rawB = (await skopeo.RunAsync(
            ["inspect", "--raw", "--tls-verify=false", "--retry-times", "0",
             "--creds", $"{ProxyUpstreamsFixture.Alice}:{ProxyUpstreamsFixture.AlicePassword}", $"docker://{B.HostPort}/team/app-b:v1"]))
            .EnsureSuccess(B).StdOutBytes;
        Assert.Equal(imageA.Manifest.Digest, OciLayout.ComputeDigest(rawA));
        Assert.Equal(imageB.Manifest.Digest, OciLayout.ComputeDigest(rawB));

        await using var proxy = await StartProxyAsync(Output,
            new ProxyUpstream("a.test", $"http://{A.HostPort}"),
            new ProxyUpstream("b.test", $"http://{B.HostPort}", ProxyUpstreamsFixture.Alice, ProxyUpstreamsFixture.AlicePassword));
        var pulls = new[]
        {
            (Repository: "a.test/lib/app-a", Image: imageA, Raw: rawA),
            (Repository: "b.test/team/app-b", Image: imageB, Raw: rawB),
        };

        // podman first for A and skopeo first for B, so each client meets an uncached image once and a
        // cached one once.
        using var podman = new Podman(Output, proxy.HostPort);
        var podmanId = await podman.PullAsync($"{proxy.HostPort}/{pulls[0].Repository}:v1", proxy);
        AssertPodmanImage(podmanId, imageA);
        Assert.Equal(imageA.Manifest.Digest, await podman.InspectImageAsync(podmanId, "{{.Digest}}"));

        foreach (var (repository, image, raw) in new[] { pulls[1], pulls[0] })
        {
            var viaProxy = (await skopeo.InspectRawAsync($"docker://{proxy.HostPort}/{repository}:v1")).EnsureSuccess(proxy).StdOutBytes;
            Assert.Equal(raw, viaProxy);
            var pulled = Path.Combine(WorkDir, "pulled-" + repository.Replace('/', '-'));
            (await skopeo.CopyAsync($"docker://{proxy.HostPort}/{repository}:v1", $"oci:{pulled}:v1", "--preserve-digests")).EnsureSuccess(proxy);
            AssertLayoutHolds(pulled, "v1", image, raw);

            var byDigest = await GetManifestAsync(proxy, repository, image.Manifest.Digest);
            Assert.True(byDigest.Status == HttpStatusCode.OK && byDigest.Body.SequenceEqual(raw) && byDigest.Digest == image.Manifest.Digest,
                byDigest + "\n" + proxy.RecentOutput(40));

            using var http = proxy.CreateClient();
            var tags = await SendAsync(http, HttpMethod.Get, $"v2/{repository}/tags/list");
            Assert.True(tags.Status == HttpStatusCode.OK && tags.Text.Contains("\"v1\"", StringComparison.Ordinal), tags.ToString());
        }

        var podmanIdB = await podman.PullAsync($"{proxy.HostPort}/{pulls[1].Repository}:v1", proxy);
        AssertPodmanImage(podmanIdB, imageB);
        Assert.Equal(imageB.Manifest.Digest, await podman.InspectImageAsync(podmanIdB, "{{.Digest}}"));

        // The proxy keeps what it served in its own storage.
        foreach (var blob in imageA.Layers.Concat(imageB.Layers).Append(imageA.Config).Append(imageB.Config))
        {
            var stored = StoredBlobPath(proxy, blob.Digest);
            Assert.True(File.Exists(stored), $"The proxy served {blob.Digest} but did not keep it at {stored}.");
            Assert.Equal(blob.Digest, OciLayout.ComputeFileDigest(stored));
        }
    }

    [Fact]
    public async Task IndexAndReferrers_ThroughPrefixFromTokenServiceWharf_ChildrenCachedAsPulledAndReferrersListed()
    {
        using var skopeo = new Skopeo(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var index = layout.AddTwoPlatformIndex("multi", seed: 1317);
        var amd64 = index.Images[0];
        var arm64 = index.Images[1];
        var signature = layout.AddReferrer("sig", amd64.Manifest, "application/vnd.example.signature.v1", "alice");
        var bob = $"{ProxyUpstreamsFixture.Bob}:{ProxyUpstreamsFixture.BobPassword}";
        (await skopeo.RunAsync(
            ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--retry-times", "0", "--preserve-digests", "--all",
             "--dest-creds", bob, $"oci:{layout.Root}:multi", $"docker://{B.HostPort}/team/multi:v1"])).EnsureSuccess(B);
        (await PushWithCredentialsAsync(skopeo, $"oci:{layout.Root}:sig", $"docker://{B.HostPort}/team/multi:sig", bob)).EnsureSuccess(B);
        var rawIndex = File.ReadAllBytes(OciLayout.BlobPath(layout.Root, index.Index.Digest));

        await using var proxy = await StartProxyAsync(Output,
            new ProxyUpstream("b.test", $"http://{B.HostPort}", ProxyUpstreamsFixture.Alice, ProxyUpstreamsFixture.AlicePassword));
        const string repository = "b.test/team/multi";

        // One platform (this machine's, linux/amd64): the index and that child only.
        var single = Path.Combine(WorkDir, "single");
        (await skopeo.CopyAsync($"docker://{proxy.HostPort}/{repository}:v1", $"oci:{single}:v1", "--preserve-digests")).EnsureSuccess(proxy);
        Assert.Equal(amd64.Manifest.Digest, OciLayout.ReadTag(single, "v1").Digest);
        Assert.True(File.Exists(StoredBlobPath(proxy, amd64.Layers[0].Digest)), "The pulled platform's layer was not kept.");
        Assert.False(File.Exists(StoredBlobPath(proxy, arm64.Layers[0].Digest)),
            "The proxy fetched the layer of a platform nobody pulled (the cache should be sparse).");
        var cachedIndex = await GetManifestAsync(proxy, repository, index.Index.Digest);
        Assert.True(cachedIndex.Status == HttpStatusCode.OK && cachedIndex.Body.SequenceEqual(rawIndex), cachedIndex.ToString());

        // Every platform, then.
        var all = Path.Combine(WorkDir, "all");
        (await skopeo.CopyAsync($"docker://{proxy.HostPort}/{repository}:v1", $"oci:{all}:v1", "--all", "--preserve-digests")).EnsureSuccess(proxy);
        Assert.Equal(index.Index.Digest, OciLayout.ReadTag(all, "v1").Digest);
        foreach (var image in index.Images)
        {
            AssertLayoutHolds(all, image, File.ReadAllBytes(OciLayout.BlobPath(layout.Root, image.Manifest.Digest)));
        }

        // Referrers come from the upstream's referrers API: what B lists for alice, the proxy lists too.
        var upstreamListing = await AuthRegistryHttp.SendAsync(B, HttpMethod.Get, $"v2/team/multi/referrers/{amd64.Manifest.Digest}",
            ProxyUpstreamsFixture.Alice, ProxyUpstreamsFixture.AlicePassword);
        Assert.True(upstreamListing.Status == HttpStatusCode.OK && upstreamListing.Body.Contains(signature.Digest, StringComparison.Ordinal),
            $"Upstream B itself does not list the referrer: {upstreamListing}");
        using var http = proxy.CreateClient();
        var referrers = await SendAsync(http, HttpMethod.Get, $"v2/{repository}/referrers/{amd64.Manifest.Digest}");
        Assert.True(referrers.Status == HttpStatusCode.OK, referrers + "\n" + proxy.RecentOutput(40));
        using var listing = JsonDocument.Parse(referrers.Body);
        var listed = listing.RootElement.GetProperty("manifests").EnumerateArray().ToList();
        Assert.True(listed.Count == 1, $"The proxy lists {listed.Count} referrers where the upstream lists one.\n" +
            $"proxy: {referrers}\nupstream: {upstreamListing}\nWharf output:\n{proxy.RecentOutput(40)}");
        var referrer = listed[0];
        Assert.Equal(signature.Digest, referrer.GetProperty("digest").GetString());
        Assert.Equal("application/vnd.example.signature.v1", referrer.GetProperty("artifactType").GetString());
    }

    [Fact]
    public async Task HttpsUpstream_TrustedThroughCaFile_PullsAndWithoutTheCaIsRefused()
    {
        using var skopeo = new Skopeo(Output);
        using var certificates = AuthTestCertificates.Create();
        await using var upstream = await WharfProcess.StartAsync(
            new WharfStartOptions { Arguments = certificates.ServerArguments, HttpsRoot = certificates.Authority }, Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddImage("v1", layerCount: 2, seed: 1318);
        (await skopeo.RunAsync(
            ["copy", "--retry-times", "0", "--preserve-digests", "--dest-cert-dir", certificates.CertDir, "--dest-no-creds",
             $"oci:{layout.Root}:v1", $"docker://{upstream.HostPort}/secure/app:v1"])).EnsureSuccess(upstream);

        // The same https upstream twice: once with the test's CA as CaFile, once trusting only the machine's roots.
        await using var proxy = await StartProxyAsync(Output,
            new ProxyUpstream("tls.test", upstream.BaseAddress.ToString().TrimEnd('/'), CaFile: certificates.CaCertificatePath),
            new ProxyUpstream("untrusted.test", upstream.BaseAddress.ToString().TrimEnd('/')));

        var pulled = Path.Combine(WorkDir, "pulled");
        (await skopeo.CopyAsync($"docker://{proxy.HostPort}/tls.test/secure/app:v1", $"oci:{pulled}:v1", "--preserve-digests")).EnsureSuccess(proxy);
        AssertLayoutHolds(pulled, "v1", image, File.ReadAllBytes(OciLayout.BlobPath(layout.Root, image.Manifest.Digest)));

        var untrusted = await GetManifestAsync(proxy, "untrusted.test/secure/app", "v1");
        Assert.True(untrusted.Status != HttpStatusCode.OK && untrusted.Elapsed < Quickly,
            $"An upstream whose certificate chains to no trusted root was used anyway: {untrusted}");
        Output.WriteLine("untrusted upstream: " + untrusted);
    }

    [Fact]
    public async Task BasicAuthUpstream_DistributionWithHtpasswd_PullsWithTheConfiguredUserOnly()
    {
        using var skopeo = new Skopeo(Output);
        var port = DockerRegistryProcess.FindFreePort();
        var root = Path.Combine(WorkDir, "basic-registry");
        var config = Path.Combine(WorkDir, "basic-registry.yml");
        var htpasswd = Path.Combine(ProxyUpstreamsFixture.RepositoryRoot, "examples", "auth", "htpasswd");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: info
            storage:
              filesystem:
                rootdirectory: {root}
            http:
              addr: 127.0.0.1:{port}
            auth:
              htpasswd:
                realm: basic-realm
                path: {htpasswd}
            """);
        await using var upstream = await DockerRegistryProcess.StartWithConfigAsync(config, root, port, Output);
        var alice = $"{ProxyUpstreamsFixture.Alice}:{ProxyUpstreamsFixture.AlicePassword}";
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddImage("v1", layerCount: 2, seed: 1319);
        (await PushWithCredentialsAsync(skopeo, $"oci:{layout.Root}:v1", $"docker://{upstream.HostPort}/basic/app:v1", alice)).EnsureSuccess();

        await using var proxy = await StartProxyAsync(Output,
            new ProxyUpstream("basic.test", $"http://{upstream.HostPort}", ProxyUpstreamsFixture.Alice, ProxyUpstreamsFixture.AlicePassword),
            new ProxyUpstream("nocreds.test", $"http://{upstream.HostPort}"));

        var pulled = Path.Combine(WorkDir, "pulled");
        (await skopeo.CopyAsync($"docker://{proxy.HostPort}/basic.test/basic/app:v1", $"oci:{pulled}:v1", "--preserve-digests")).EnsureSuccess(proxy);
        AssertLayoutHolds(pulled, "v1", image, File.ReadAllBytes(OciLayout.BlobPath(layout.Root, image.Manifest.Digest)));

        // Without the upstream's credentials the proxy gets nothing, and serves nothing.
        var anonymous = await GetManifestAsync(proxy, "nocreds.test/basic/app", "v1");
        Assert.True(anonymous.Status != HttpStatusCode.OK, $"An upstream that wants sign-in served a proxy that has no credentials: {anonymous}");
        Output.WriteLine("without credentials: " + anonymous);
    }

    [Fact]
    public async Task Push_IntoProxiedPrefix_IsDeniedWhileLocalRepositoriesBesideItTakePushes()
    {
        using var skopeo = new Skopeo(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddImage("v1", layerCount: 1, seed: 1315);
        await using var proxy = await StartProxyAsync(Output, new ProxyUpstream("a.test", $"http://{A.HostPort}"));
        using var http = proxy.CreateClient();

        var post = await SendAsync(http, HttpMethod.Post, "v2/a.test/lib/denied/blobs/uploads/");
        Assert.True(post.Status == HttpStatusCode.Forbidden && post.ErrorCode == "DENIED", post + "\n" + proxy.RecentOutput(40));

        var manifest = File.ReadAllBytes(OciLayout.BlobPath(layout.Root, image.Manifest.Digest));
        using var put = new HttpRequestMessage(HttpMethod.Put, "v2/a.test/lib/denied/manifests/v1") { Content = new ByteArrayContent(manifest) };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue(OciLayout.ManifestMediaType);
        var putAnswer = await SendAsync(http, put);
        Assert.True(putAnswer.Status == HttpStatusCode.Forbidden && putAnswer.ErrorCode == "DENIED", putAnswer + "\n" + proxy.RecentOutput(40));

        var refused = await skopeo.CopyAsync($"oci:{layout.Root}:v1", $"docker://{proxy.HostPort}/a.test/lib/denied:v1");
        Assert.True(!refused.Succeeded && refused.StdErr.Contains("denied", StringComparison.OrdinalIgnoreCase),
            $"{refused.CommandLine} exited {refused.ExitCode}\n{refused.StdErr}\n{proxy.RecentOutput(40)}");

        // Nothing reached the upstream.
        using var upstream = A.CreateClient();
        using var upstreamTags = await upstream.GetAsync("v2/lib/denied/tags/list");
        Assert.Equal(HttpStatusCode.NotFound, upstreamTags.StatusCode);

        // Outside every prefix, the same server is an ordinary registry.
        (await skopeo.CopyAsync($"oci:{layout.Root}:v1", $"docker://{proxy.HostPort}/local/app:v1", "--preserve-digests")).EnsureSuccess(proxy);
        var local = await GetManifestAsync(proxy, "local/app", "v1");
        Assert.True(local.Status == HttpStatusCode.OK && local.Digest == image.Manifest.Digest, local.ToString());
    }

    [Fact]
    public async Task AccessControl_OnProxiedRepositories_AppliesAsToLocalOnes()
    {
        using var skopeo = new Skopeo(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var imageA = layout.AddImage("a", layerCount: 1, seed: 1316);
        var imageB = layout.AddImage("b", layerCount: 1, seed: 1320);
        await PushToBothUpstreamsAsync(skopeo, layout, "acl/app:v1", "team/acl:v1");

        // The proxy has sign-in of its own (the token service, the example's users): anyone may pull
        // a.test/**, only alice may pull b.test/**.
        await using var proxy = await StartProxyAsync(Output,
            [
                "--Auth:Mode", "token",
                "--Auth:Htpasswd", Path.Combine(ProxyUpstreamsFixture.RepositoryRoot, "examples", "auth", "htpasswd"),
                "--Auth:AnonymousPull:0", "a.test/**",
                "--Auth:Rules:0:Repositories:0", "b.test/**",
                "--Auth:Rules:0:Users:0", ProxyUpstreamsFixture.Alice,
                "--Auth:Rules:0:Actions:0", "pull",
            ],
            new ProxyUpstream("a.test", $"http://{A.HostPort}"),
            new ProxyUpstream("b.test", $"http://{B.HostPort}", ProxyUpstreamsFixture.Alice, ProxyUpstreamsFixture.AlicePassword));

        var anonymousA = await AuthRegistryHttp.GetManifestAsync(proxy, "a.test/acl/app", "v1", null, null);
        Assert.True(anonymousA.Status == HttpStatusCode.OK && anonymousA.Digest == imageA.Manifest.Digest, anonymousA + "\n" + proxy.RecentOutput(40));

        var anonymousB = await AuthRegistryHttp.GetManifestAsync(proxy, "b.test/team/acl", "v1", null, null);
        Assert.True(anonymousB.Status == HttpStatusCode.Unauthorized, $"An anonymous pull of b.test/** was not refused: {anonymousB}");

        var bob = await AuthRegistryHttp.GetManifestAsync(proxy, "b.test/team/acl", "v1", ProxyUpstreamsFixture.Bob, ProxyUpstreamsFixture.BobPassword);
        Assert.True(bob.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"bob, whom no rule lets pull b.test/**, was not refused: {bob}");

        var alice = await AuthRegistryHttp.GetManifestAsync(proxy, "b.test/team/acl", "v1", ProxyUpstreamsFixture.Alice, ProxyUpstreamsFixture.AlicePassword);
        Assert.True(alice.Status == HttpStatusCode.OK && alice.Digest == imageB.Manifest.Digest, alice + "\n" + proxy.RecentOutput(40));

        // And skopeo, signed in as alice, pulls the whole image.
        var pulled = Path.Combine(WorkDir, "pulled");
        (await skopeo.RunAsync(
            ["copy", "--src-tls-verify=false", "--retry-times", "0", "--preserve-digests",
             "--src-creds", $"{ProxyUpstreamsFixture.Alice}:{ProxyUpstreamsFixture.AlicePassword}",
             $"docker://{proxy.HostPort}/b.test/team/acl:v1", $"oci:{pulled}:v1"])).EnsureSuccess(proxy);
        AssertLayoutHolds(pulled, "v1", imageB, File.ReadAllBytes(OciLayout.BlobPath(layout.Root, imageB.Manifest.Digest)));
    }

    // ---- 2. mirror mode, as registries.conf mirrors use it ----

    [Fact]
    public async Task MirrorMode_PodmanWithRegistriesConfMirror_PullsThroughTheProxy()
    {
        using var skopeo = new Skopeo(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddImage("v1", layerCount: 2, seed: 1321);
        (await skopeo.CopyAsync($"oci:{layout.Root}:v1", $"docker://{A.HostPort}/mirrored/app:v1", "--preserve-digests")).EnsureSuccess();
        var raw = (await skopeo.InspectRawAsync($"docker://{A.HostPort}/mirrored/app:v1")).EnsureSuccess().StdOutBytes;

        await using var proxy = await StartProxyAsync(Output, new ProxyUpstream(null, $"http://{A.HostPort}"));

        // podman asks for 127.0.0.1:A/mirrored/app:v1; registries.conf sends it to the proxy first.
        using var podman = new Podman(Output);
        ConfigureMirror(podman, primary: A.HostPort, mirror: proxy.HostPort);
        var pull = await podman.TryPullAsync($"{A.HostPort}/mirrored/app:v1", false, "--log-level", "debug");
        pull.EnsureSuccess(proxy);
        var id = Podman.NonEmpty(pull.LastLine, pull);
        AssertPodmanImage(id, image);

        // podman falls back to the primary silently when a mirror fails, so success alone proves
        // nothing: the proxy must have fetched and kept every blob, and podman must have used it.
        foreach (var blob in image.Layers.Append(image.Config))
        {
            var stored = StoredBlobPath(proxy, blob.Digest);
            Assert.True(File.Exists(stored),
                $"podman pulled, but the mirror did not keep {blob.Digest} ({stored}): did podman fall back to the primary?\n" +
                $"podman stderr:\n{LastLines(pull.StdErr, 60)}\nWharf output:\n{proxy.RecentOutput(60)}");
            Assert.Equal(blob.Digest, OciLayout.ComputeFileDigest(stored));
        }

        Assert.Contains($"{proxy.HostPort}/mirrored/app", pull.StdErr, StringComparison.Ordinal);

        // In mirror mode every repository is the upstream's: pushes are refused.
        using (var http = proxy.CreateClient())
        {
            var post = await SendAsync(http, HttpMethod.Post, "v2/mirrored/app/blobs/uploads/");
            Assert.True(post.Status == HttpStatusCode.Forbidden && post.ErrorCode == "DENIED", post.ToString());
        }

        // The same name straight from the proxy: /v2/mirrored/app/... is the upstream's repository.
        var direct = (await skopeo.InspectRawAsync($"docker://{proxy.HostPort}/mirrored/app:v1")).EnsureSuccess(proxy).StdOutBytes;
        Assert.Equal(raw, direct);
    }

    // ---- 3. eight clients, one upstream fetch ----

    [Fact]
    public async Task ConcurrentPulls_EightClientsOfAnUncached200MiBImage_UpstreamServesEachBlobOnce()
    {
        using var skopeo = new Skopeo(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var generating = Stopwatch.StartNew();
        var image = layout.AddBigLayerImage("v1", payloadBytes: 200 * MiB, seed: 1331);
        var layer = image.Layers[0];
        Output.WriteLine($"generated a {layer.Size / (double)MiB:F1} MiB layer in {generating.Elapsed.TotalSeconds:F1} s");
        Assert.True(layer.Size >= 200 * MiB);
        (await skopeo.CopyAsync($"oci:{layout.Root}:v1", $"docker://{A.HostPort}/concurrent/big:v1", "--preserve-digests")).EnsureSuccess();

        // The relay sends blobs at 100 MiB/s, so the upstream fetch of the layer lasts about two
        // seconds and every client asks for it while that one fetch is still running.
        await using var relay = await CountingRelay.StartAsync($"http://{A.HostPort}");
        relay.ThrottleBytesPerSecond = 100 * MiB;
        await using var proxy = await StartProxyAsync(Output, new ProxyUpstream("a.test", relay.Url));
        const string repository = "a.test/concurrent/big";

        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clients = Enumerable.Range(0, 8).Select(async client =>
        {
            await go.Task;
            using var http = proxy.CreateClient(TimeSpan.FromMinutes(3));
            using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/manifests/v1");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciLayout.ManifestMediaType));
            var manifest = await SendAsync(http, request);
            Assert.True(manifest.Status == HttpStatusCode.OK && manifest.Digest == image.Manifest.Digest,
                $"client {client}: {manifest}");
            var transfers = new List<BlobTransfer>();
            foreach (var digest in BlobDigests(manifest.Body))
            {
                transfers.Add(await ReadBlobAsync(http, repository, digest, () => relay.Now));
            }

            return transfers;
        }).ToList();
        var pulledDir = Path.Combine(WorkDir, "pulled");
        var realClient = Task.Run(async () =>
        {
            await go.Task;
            return await skopeo.CopyAsync($"docker://{proxy.HostPort}/{repository}:v1", $"oci:{pulledDir}:v1", "--preserve-digests");
        });
        var clock = Stopwatch.StartNew();
        go.SetResult();
        var results = await Task.WhenAll(clients);
        var skopeoResult = await realClient;
        Output.WriteLine($"8 HTTP clients and skopeo pulled in {clock.Elapsed.TotalSeconds:F1} s");

        skopeoResult.EnsureSuccess(proxy);
        AssertLayoutHolds(pulledDir, "v1", image, File.ReadAllBytes(OciLayout.BlobPath(layout.Root, image.Manifest.Digest)));
        for (var client = 0; client < results.Length; client++)
        {
            Assert.Equal(2, results[client].Count);
            foreach (var transfer in results[client])
            {
                var expected = transfer.Request.EndsWith(layer.Digest, StringComparison.Ordinal) ? layer : image.Config;
                Assert.True(transfer.Completed && transfer.Digest == expected.Digest && transfer.Bytes == expected.Size,
                    $"client {client}: {transfer}\nWharf output:\n{proxy.RecentOutput(40)}");
            }
        }

        // Exactly one upstream GET per blob, however many clients asked.
        Assert.True(await EventuallyAsync(() => relay.BlobGets(layer.Digest) >= 1 && relay.BlobGets(image.Config.Digest) >= 1, Quickly),
            relay.Describe());
        await Task.Delay(500);
        Assert.True(relay.BlobGets(layer.Digest) == 1 && relay.BlobGets(image.Config.Digest) == 1,
            $"The upstream was asked for a blob more than once:\n{relay.Describe()}");

        // And the clients really overlapped that one fetch (they did not just find it cached).
        var upstreamFetch = relay.Requests.Single(r => r.Method == "GET" && CountingRelay.BlobDigestOf(r.PathAndQuery) == layer.Digest);
        var layerRequests = results.Select(r => r.Single(t => t.Request.EndsWith(layer.Digest, StringComparison.Ordinal))).ToList();
        Output.WriteLine($"upstream fetch of the layer: {upstreamFetch}");
        Output.WriteLine("client layer GETs began at " + string.Join(", ", layerRequests.Select(t => $"{t.Started.TotalMilliseconds:F0}")) + " ms");
        Assert.True(layerRequests.All(t => t.Started < upstreamFetch.Ended),
            "Not every client asked for the layer while the upstream fetch was running; the test proves less than it claims.");

        // Kept, and served from storage from now on.
        Assert.Equal(layer.Digest, OciLayout.ComputeFileDigest(StoredBlobPath(proxy, layer.Digest)));
        using (var http = proxy.CreateClient())
        {
            var again = await ReadBlobAsync(http, repository, layer.Digest);
            Assert.True(again.Completed && again.Digest == layer.Digest, again.ToString());
        }

        await Task.Delay(200);
        Assert.True(relay.BlobGets(layer.Digest) == 1, $"A cached blob went to the upstream again:\n{relay.Describe()}");

        // Memory stays bounded: no 200 MiB blob held whole, let alone one per client.
        var peak = proxy.ReadPeakRssBytes();
        Output.WriteLine($"proxy peak RSS: {peak / (double)MiB:F1} MiB");
        Assert.True(peak < 256 * MiB, $"The proxy's peak RSS was {peak / (double)MiB:F1} MiB while relaying a {layer.Size / (double)MiB:F0} MiB blob to 9 clients.");
    }

    [Fact]
    public async Task RangeRequests_OnABlobStillBeingFetchedAndOnceCached_AnswerTheRightBytes()
    {
        using var skopeo = new Skopeo(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddBigLayerImage("v1", payloadBytes: 32 * MiB, seed: 1335);
        var layer = image.Layers[0];
        var layerFile = OciLayout.BlobPath(layout.Root, layer.Digest);
        (await skopeo.CopyAsync($"oci:{layout.Root}:v1", $"docker://{A.HostPort}/ranges/app:v1", "--preserve-digests")).EnsureSuccess();

        // 32 MiB at 16 MiB/s: the first GET's upstream fetch lasts about two seconds.
        await using var relay = await CountingRelay.StartAsync($"http://{A.HostPort}");
        relay.ThrottleBytesPerSecond = 16 * MiB;
        await using var proxy = await StartProxyAsync(Output, new ProxyUpstream("a.test", relay.Url));
        const string repository = "a.test/ranges/app";
        using var http = proxy.CreateClient(TimeSpan.FromMinutes(1));
        var whole = ReadBlobAsync(http, repository, layer.Digest, () => relay.Now);
        Assert.True(await EventuallyAsync(() => relay.ActiveBlobGets(layer.Digest) == 1, Quickly),
            $"The first GET did not start an upstream fetch of the layer:\n{relay.Describe()}");
        await Task.Delay(100);
        var rangesAsked = relay.Now;

        var ranges = new (long From, long To)[] { (1000, 1999), (layer.Size / 2, layer.Size / 2 + 65535), (layer.Size - 4096, layer.Size - 1) };
        foreach (var (from, to) in ranges)
        {
            await AssertRangeAsync(http, repository, layer, layerFile, from, to, "while the first GET fetches it");
        }

        var first = await whole;
        Assert.True(first.Completed && first.Digest == layer.Digest, first.ToString());
        await Task.Delay(200);
        var during = relay.Requests.Where(r => r.Method == "GET" && CountingRelay.BlobDigestOf(r.PathAndQuery) == layer.Digest).ToList();
        Output.WriteLine($"ranges asked at {rangesAsked.TotalMilliseconds:F0} ms; upstream GETs of the layer: " + string.Join("; ", during));
        Assert.True(during.Count == 1, $"The range requests made the proxy fetch the blob from the upstream again:\n{relay.Describe()}");
        Assert.True(rangesAsked < during[0].Ended, "The first GET's fetch was over before the ranges were asked; the test proves less than it claims.");

        foreach (var (from, to) in ranges)
        {
            await AssertRangeAsync(http, repository, layer, layerFile, from, to, "once cached");
        }
    }

    private static async Task AssertRangeAsync(HttpClient http, string repository, OciDescriptor blob, string blobFile, long from, long to, string when)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/blobs/{blob.Digest}");
        request.Headers.Range = new RangeHeaderValue(from, to);
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        var expected = new byte[to - from + 1];
        await using (var file = File.OpenRead(blobFile))
        {
            file.Position = from;
            await file.ReadExactlyAsync(expected);
        }

        var what = $"GET bytes={from}-{to} of {blob.Digest} ({blob.Size} bytes) {when} answered {(int)response.StatusCode} with {body.Length} bytes after {clock.ElapsedMilliseconds} ms";
        Assert.True(response.StatusCode == HttpStatusCode.PartialContent, what);
        Assert.True(body.AsSpan().SequenceEqual(expected), what + ": not the blob's bytes at that range");
        var contentRange = response.Content.Headers.ContentRange;
        Assert.True(contentRange is not null && contentRange.From == from && contentRange.To == to && contentRange.Length == blob.Size,
            what + $", Content-Range: {contentRange}");
    }

    // ---- 4. the upstream goes away ----

    [Fact]
    public async Task UpstreamStopped_CachedImageStillPulls_UncachedFailsWithin5sNamingTheUpstream()
    {
        using var skopeo = new Skopeo(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var cached = layout.AddImage("cached", layerCount: 2, seed: 1341);
        var uncached = layout.AddImage("uncached", layerCount: 2, seed: 1342);
        await using var upstream = await DockerRegistryProcess.StartAsync(Path.Combine(WorkDir, "upstream"), Output);
        (await skopeo.CopyAsync($"oci:{layout.Root}:cached", $"docker://{upstream.HostPort}/down/cached:v1", "--preserve-digests")).EnsureSuccess();
        (await skopeo.CopyAsync($"oci:{layout.Root}:uncached", $"docker://{upstream.HostPort}/down/uncached:v1", "--preserve-digests")).EnsureSuccess();
        var raw = File.ReadAllBytes(OciLayout.BlobPath(layout.Root, cached.Manifest.Digest));

        await using var proxy = await StartProxyAsync(Output, new ProxyUpstream("d.test", $"http://{upstream.HostPort}", TagTtl: "00:00:01"));
        (await skopeo.CopyAsync($"docker://{proxy.HostPort}/d.test/down/cached:v1", $"oci:{Path.Combine(WorkDir, "first")}:v1", "--preserve-digests"))
            .EnsureSuccess(proxy);

        await upstream.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // past the tag's TTL: the cached tag is now stale

        await AssertCachedImageServedAsync(skopeo, proxy, "d.test/down/cached", cached, raw);
        await AssertUncachedFailsQuicklyAsync(skopeo, proxy, "d.test/down/uncached", uncached, upstream.HostPort);
    }

    [Fact]
    public async Task UpstreamUnreachable_ConnectsHang_CachedImageStillPulls_UncachedFailsWithin5s()
    {
        using var skopeo = new Skopeo(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var cached = layout.AddImage("cached", layerCount: 2, seed: 1345);
        var uncached = layout.AddImage("uncached", layerCount: 1, seed: 1346);
        (await skopeo.CopyAsync($"oci:{layout.Root}:cached", $"docker://{A.HostPort}/hole/cached:v1", "--preserve-digests")).EnsureSuccess();
        (await skopeo.CopyAsync($"oci:{layout.Root}:uncached", $"docker://{A.HostPort}/hole/uncached:v1", "--preserve-digests")).EnsureSuccess();
        var raw = File.ReadAllBytes(OciLayout.BlobPath(layout.Root, cached.Manifest.Digest));

        // The proxy reaches A through a relay; once the image is cached the relay goes and its port
        // becomes a black hole: connects to the upstream now hang instead of being refused.
        var relay = await CountingRelay.StartAsync($"http://{A.HostPort}");
        var port = relay.Port;
        WharfProcess? proxy = null;
        try
        {
            proxy = await StartProxyAsync(Output, new ProxyUpstream("h.test", relay.Url, TagTtl: "00:00:01"));
            (await skopeo.CopyAsync($"docker://{proxy.HostPort}/h.test/hole/cached:v1", $"oci:{Path.Combine(WorkDir, "first")}:v1", "--preserve-digests"))
                .EnsureSuccess(proxy);
            await relay.DisposeAsync();
            using var hole = await BlackHoleListener.StartAsync(port);
            await Task.Delay(TimeSpan.FromSeconds(1.5)); // past the tag's TTL

            await AssertCachedImageServedAsync(skopeo, proxy, "h.test/hole/cached", cached, raw);
            await AssertUncachedFailsQuicklyAsync(skopeo, proxy, "h.test/hole/uncached", uncached, hole.HostPort);
        }
        finally
        {
            await relay.DisposeAsync();
            if (proxy is not null)
            {
                await proxy.DisposeAsync();
            }
        }
    }

    // ---- 5. tag TTL ----

    [Fact]
    public async Task TagMovedUpstream_SeenThroughTheProxyAfterItsTtlAndNotBefore()
    {
        var ttl = TimeSpan.FromSeconds(2);
        using var skopeo = new Skopeo(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var first = layout.AddImage("one", layerCount: 1, seed: 1351);
        var second = layout.AddImage("two", layerCount: 1, seed: 1352);
        (await skopeo.CopyAsync($"oci:{layout.Root}:one", $"docker://{A.HostPort}/ttl/app:v1", "--preserve-digests")).EnsureSuccess();
        // The second image's blobs and manifest are upstream already, so moving the tag later is one PUT.
        (await skopeo.CopyAsync($"oci:{layout.Root}:two", $"docker://{A.HostPort}/ttl/app:next", "--preserve-digests")).EnsureSuccess();

        await using var relay = await CountingRelay.StartAsync($"http://{A.HostPort}");
        await using var proxy = await StartProxyAsync(Output, new ProxyUpstream("a.test", relay.Url, TagTtl: "00:00:02"));
        const string repository = "a.test/ttl/app";

        // A first pull of another tag warms the proxy up (its upstream client, its code paths), so the
        // timed part below is not stretched by a cold start.
        var warmUp = await GetManifestAsync(proxy, repository, "next");
        Assert.True(warmUp.Status == HttpStatusCode.OK && warmUp.Digest == second.Manifest.Digest, warmUp + "\n" + proxy.RecentOutput(40));

        // Every time below is on the relay's clock; the proxy cached the tag no earlier than t0.
        var t0 = relay.Now;
        var initial = await GetManifestAsync(proxy, repository, "v1");
        var fetched = relay.Now;
        Assert.True(initial.Status == HttpStatusCode.OK && initial.Digest == first.Manifest.Digest, initial + "\n" + proxy.RecentOutput(40));
        var byDigest = await GetManifestAsync(proxy, repository, first.Manifest.Digest);
        Assert.True(byDigest.Status == HttpStatusCode.OK && byDigest.Digest == first.Manifest.Digest, byDigest.ToString());
        var settled = relay.Now;

        await MoveTagUpstreamAsync("ttl/app", "v1", second);
        var moved = relay.Now;
        Assert.True(moved - t0 < ttl - TimeSpan.FromMilliseconds(500),
            $"Moving the tag took until {moved.TotalSeconds:F2} s, too close to the TTL for the test to mean anything.");

        var observations = new List<(TimeSpan Started, TimeSpan Ended, string? Digest, string Answer)>();
        while (relay.Now < fetched + ttl + TimeSpan.FromSeconds(4))
        {
            var started = relay.Now;
            var answer = await GetManifestAsync(proxy, repository, "v1");
            observations.Add((started, relay.Now, answer.Digest, answer.ToString()));
            Assert.True(answer.Status == HttpStatusCode.OK, answer + "\n" + proxy.RecentOutput(40));
            if (answer.Digest == second.Manifest.Digest)
            {
                break;
            }

            await Task.Delay(100);
        }

        var log = string.Join('\n', observations.Select(o =>
            $"{o.Started.TotalMilliseconds:F0}-{o.Ended.TotalMilliseconds:F0} ms: {(o.Digest == first.Manifest.Digest ? "old" : o.Digest == second.Manifest.Digest ? "new" : o.Digest)}"));
        Output.WriteLine($"tag cached at {t0.TotalMilliseconds:F0}-{fetched.TotalMilliseconds:F0} ms, moved upstream at {moved.TotalMilliseconds:F0} ms\n{log}");
        Output.WriteLine(relay.Describe());

        // Before the TTL: the old digest, and not a single manifest request to the upstream.
        var early = observations.Where(o => o.Ended < t0 + ttl).ToList();
        Assert.True(early.Count >= 3, $"Too few observations inside the TTL:\n{log}");
        Assert.True(early.All(o => o.Digest == first.Manifest.Digest), $"The moved tag was seen before its TTL ran out:\n{log}");
        var upstreamDuringTtl = relay.ManifestRequests("ttl/app").Where(r => r.Started > settled && r.Started < t0 + ttl).ToList();
        Assert.True(upstreamDuringTtl.Count == 0,
            $"A tag within its TTL went to the upstream:\n{string.Join('\n', upstreamDuringTtl)}");

        // After it: the new digest, decided by a HEAD to the upstream.
        var seen = observations.FirstOrDefault(o => o.Digest == second.Manifest.Digest);
        Assert.True(seen.Digest is not null, $"The moved tag was not seen within 4 s after its TTL:\n{log}\n{relay.Describe()}\n{proxy.RecentOutput(40)}");
        Assert.True(seen.Ended >= t0 + ttl, $"The moved tag was seen before its TTL ran out:\n{log}");
        Assert.True(relay.ManifestRequests("ttl/app").Any(r => r.Method == "HEAD" && r.PathAndQuery.EndsWith("/manifests/v1", StringComparison.Ordinal) && r.Started >= t0 + ttl),
            $"No HEAD of the tag went to the upstream after the TTL:\n{relay.Describe()}");

        // The old digest is still served, from the cache, without asking the upstream.
        var before = relay.ManifestRequests("ttl/app").Count(r => r.PathAndQuery.EndsWith(first.Manifest.Digest, StringComparison.Ordinal));
        var old = await GetManifestAsync(proxy, repository, first.Manifest.Digest);
        Assert.True(old.Status == HttpStatusCode.OK && old.Digest == first.Manifest.Digest, old.ToString());
        await Task.Delay(200);
        var after = relay.ManifestRequests("ttl/app").Count(r => r.PathAndQuery.EndsWith(first.Manifest.Digest, StringComparison.Ordinal));
        Assert.True(before == after, $"A digest pull already fetched went to the upstream again:\n{relay.Describe()}");
    }

    // ---- 6. wrong bytes from the upstream ----

    [Fact]
    public async Task UpstreamSendsWrongBytes_PullFailsAndNothingIsKept_ThenSucceedsOnceTheBytesAreRight()
    {
        using var skopeo = new Skopeo(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddBigLayerImage("v1", payloadBytes: 8 * MiB, seed: 1361);
        var layer = image.Layers[0];
        var raw = File.ReadAllBytes(OciLayout.BlobPath(layout.Root, image.Manifest.Digest));
        (await skopeo.CopyAsync($"oci:{layout.Root}:v1", $"docker://{A.HostPort}/corrupt/app:v1", "--preserve-digests")).EnsureSuccess();

        await using var relay = await CountingRelay.StartAsync($"http://{A.HostPort}");
        await using var proxy = await StartProxyAsync(Output, new ProxyUpstream("a.test", relay.Url));
        const string repository = "a.test/corrupt/app";
        relay.CorruptBlobDigest = layer.Digest;

        var refused = await skopeo.CopyAsync($"docker://{proxy.HostPort}/{repository}:v1", $"oci:{Path.Combine(WorkDir, "refused")}:v1");
        Assert.True(!refused.Succeeded, $"{refused.CommandLine} succeeded although the upstream sent a wrong byte.\n{relay.Describe()}");
        Assert.True(await EventuallyAsync(() => relay.Requests.Any(r => r.Corrupted), Quickly),
            $"The relay corrupted nothing; the test did not test.\n{relay.Describe()}\n{refused.StdErr}");
        await AssertNothingKeptAsync(proxy, layer.Digest);

        // The same through raw HTTP: the transfer must break off (or never start), not complete.
        using (var http = proxy.CreateClient())
        {
            var transfer = await ReadBlobAsync(http, repository, layer.Digest);
            Assert.False(transfer.Completed,
                $"The client received a whole 200 answer for a blob whose upstream bytes were wrong: {transfer}\n{proxy.RecentOutput(40)}");
            Output.WriteLine("corrupted blob through the proxy: " + transfer);
        }

        await AssertNothingKeptAsync(proxy, layer.Digest);

        relay.CorruptBlobDigest = null;
        var gets = relay.BlobGets(layer.Digest);
        var pulled = Path.Combine(WorkDir, "pulled");
        (await skopeo.CopyAsync($"docker://{proxy.HostPort}/{repository}:v1", $"oci:{pulled}:v1", "--preserve-digests")).EnsureSuccess(proxy);
        AssertLayoutHolds(pulled, "v1", image, raw);
        Assert.True(await EventuallyAsync(() => relay.BlobGets(layer.Digest) > gets, Quickly),
            $"The good pull did not fetch the blob from the upstream again:\n{relay.Describe()}");
        Assert.Equal(layer.Digest, OciLayout.ComputeFileDigest(StoredBlobPath(proxy, layer.Digest)));
    }

    // ---- helpers ----

    /// <summary>The blob digests (config first, then layers) of a served image manifest.</summary>
    private static List<string> BlobDigests(byte[] manifest)
    {
        using var document = JsonDocument.Parse(manifest);
        var root = document.RootElement;
        return [root.GetProperty("config").GetProperty("digest").GetString()!,
                .. root.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!)];
    }

    /// <summary>Podman names an image by its config digest.</summary>
    private static void AssertPodmanImage(string id, OciImage image) =>
        Assert.Equal(image.Config.Digest["sha256:".Length..], id);

    private static string LastLines(string text, int count) =>
        string.Join('\n', text.Split('\n').TakeLast(count));

    /// <summary>The upstream is gone, the tag's TTL is over: the image is still served whole, by tag
    /// (with a Warning that it may be stale) and by digest, quickly.</summary>
    private async Task AssertCachedImageServedAsync(Skopeo skopeo, WharfProcess proxy, string repository, OciImage image, byte[] raw)
    {
        var byTag = await GetManifestAsync(proxy, repository, "v1");
        Assert.True(byTag.Status == HttpStatusCode.OK && byTag.Digest == image.Manifest.Digest && byTag.Body.SequenceEqual(raw),
            $"{byTag}\nWharf output:\n{proxy.RecentOutput(40)}");
        Assert.True(byTag.Elapsed < Quickly, $"The stale tag took {byTag.Elapsed.TotalSeconds:F1} s: {byTag}");
        Assert.True(!string.IsNullOrWhiteSpace(byTag.Warning), $"A stale tag served while the upstream is down carries no Warning header: {byTag}");
        Output.WriteLine("stale tag answer: " + byTag);

        var byDigest = await GetManifestAsync(proxy, repository, image.Manifest.Digest);
        Assert.True(byDigest.Status == HttpStatusCode.OK && byDigest.Body.SequenceEqual(raw), byDigest.ToString());

        var pulled = Path.Combine(WorkDir, "pulled-" + repository.Replace('/', '-'));
        var copy = (await skopeo.CopyAsync($"docker://{proxy.HostPort}/{repository}:v1", $"oci:{pulled}:v1", "--preserve-digests")).EnsureSuccess(proxy);
        AssertLayoutHolds(pulled, "v1", image, raw);
        Output.WriteLine($"cached pull with the upstream down took {copy.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>An image never pulled: 404 with the spec's code and a message naming the upstream, within 5 s,
    /// for the manifest and for a blob; skopeo fails as fast, saying why.</summary>
    private async Task AssertUncachedFailsQuicklyAsync(Skopeo skopeo, WharfProcess proxy, string repository, OciImage image, string upstreamHostPort)
    {
        var manifest = await GetManifestAsync(proxy, repository, "v1");
        Output.WriteLine("uncached manifest: " + manifest);
        Assert.True(manifest.Status == HttpStatusCode.NotFound && manifest.ErrorCode == "MANIFEST_UNKNOWN",
            $"{manifest}\nWharf output:\n{proxy.RecentOutput(40)}");
        Assert.True(manifest.Elapsed < Quickly, $"The uncached manifest took {manifest.Elapsed.TotalSeconds:F1} s to fail: {manifest}");
        Assert.True(manifest.NamesInError(upstreamHostPort),
            $"The error does not name the unreachable upstream {upstreamHostPort}: {manifest}");

        var byDigest = await GetManifestAsync(proxy, repository, image.Manifest.Digest);
        Assert.True(byDigest.Status == HttpStatusCode.NotFound && byDigest.ErrorCode == "MANIFEST_UNKNOWN" && byDigest.Elapsed < Quickly,
            byDigest.ToString());

        using (var http = proxy.CreateClient(TimeSpan.FromSeconds(30)))
        {
            var blob = await SendAsync(http, HttpMethod.Get, $"v2/{repository}/blobs/{image.Layers[0].Digest}");
            Output.WriteLine("uncached blob: " + blob);
            Assert.True(blob.Status == HttpStatusCode.NotFound && blob.ErrorCode == "BLOB_UNKNOWN", $"{blob}\nWharf output:\n{proxy.RecentOutput(40)}");
            Assert.True(blob.Elapsed < Quickly, $"The uncached blob took {blob.Elapsed.TotalSeconds:F1} s to fail: {blob}");
            Assert.True(blob.NamesInError(upstreamHostPort),
                $"The error does not name the unreachable upstream {upstreamHostPort}: {blob}");
        }

        // What the user sees: skopeo fails fast and its error names the upstream it could not reach
        // (registry clients print an error's code and message, not its detail).
        var inspect = await skopeo.InspectRawAsync($"docker://{proxy.HostPort}/{repository}:v1");
        Assert.True(!inspect.Succeeded && inspect.Elapsed < Quickly &&
                    inspect.StdErr.Contains("manifest unknown", StringComparison.OrdinalIgnoreCase),
            $"{inspect.CommandLine} exited {inspect.ExitCode} after {inspect.Elapsed.TotalSeconds:F1} s\n{inspect.StdErr}");
        Assert.True(inspect.StdErr.Contains(upstreamHostPort, StringComparison.Ordinal),
            $"skopeo's error does not name the unreachable upstream {upstreamHostPort}; the proxy answered {manifest}\nskopeo said:\n{inspect.StdErr}");
    }

    /// <summary>No blob file for <paramref name="digest"/> in the proxy's storage, now or a moment later
    /// (an upstream fetch may still be winding down when the client gives up).</summary>
    private static async Task AssertNothingKeptAsync(WharfProcess proxy, string digest)
    {
        for (var check = 0; check < 2; check++)
        {
            var stored = StoredBlobPath(proxy, digest);
            Assert.False(File.Exists(stored), $"The proxy kept a blob whose upstream bytes were wrong: {stored}");
            var leftovers = FilesNaming(proxy, digest);
            Assert.True(leftovers.Count == 0, $"The failed fetch left files behind:\n{string.Join('\n', leftovers)}");
            await Task.Delay(1000);
        }
    }

    /// <summary>PUTs <paramref name="image"/>'s manifest (whose blobs upstream A already has) under
    /// <paramref name="tag"/> on A directly, bypassing the proxy and the relay.</summary>
    private async Task MoveTagUpstreamAsync(string repository, string tag, OciImage image)
    {
        var manifestPath = Directory.EnumerateFiles(WorkDir, image.Manifest.Digest["sha256:".Length..], SearchOption.AllDirectories).First();
        using var http = A.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"v2/{repository}/manifests/{tag}")
        {
            Content = new ByteArrayContent(File.ReadAllBytes(manifestPath)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(image.Manifest.MediaType);
        using var response = await http.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Created,
            $"PUT {request.RequestUri} on the upstream answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
