using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// The real server (its own process, plain HTTP on loopback) driven by the real docker client and
/// engine (Debian's docker.io, on the run's private containerd: <see cref="ContainerDaemons"/>). Docker
/// uses plain HTTP for registries on 127.0.0.0/8 without being told. Images reach the engine from an
/// OCI layout, through skopeo (a registry push, or a docker-archive that docker loads).
/// </summary>
[Collection(ContainerDaemonsCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class DockerEndToEndTests(ContainerDaemons daemons, ITestOutputHelper output) : EndToEndTestBase(output)
{
    private const long MiB = 1024 * 1024;
    private const string Alice = "alice";
    private const string AlicePassword = "alice-secret";
    private const string Bob = "bob";
    private const string BobPassword = "bob-secret";
    private static readonly TimeSpan LogWait = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task PullTagPush_ImageSkopeoPushed_PushMountsLayersFromTheRepositoryPulledFrom()
    {
        await using var wharf = await WharfProcess.StartAsync(Output);
        using var skopeo = new Skopeo(Output);
        await using var docker = daemons.NewDocker(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddImage("v1", layerCount: 2, seed: 301);
        var source = $"{wharf.HostPort}/team/base:v1";
        (await skopeo.CopyAsync($"oci:{layout.Root}:v1", $"docker://{source}", "--preserve-digests")).EnsureSuccess(wharf);

        await docker.PullAsync(source, wharf);
        Assert.Equal(image.Config.Digest, await docker.ImageIdAsync(source));

        var copy = $"{wharf.HostPort}/team/copy:v1";
        await docker.TagAsync(source, copy);
        var (push, pushed) = await docker.PushAsync(copy, wharf);

        // Docker remembers which repository each layer came from and asks for a mount instead of an upload.
        Assert.Equal(image.Layers.Count, push.StdOut.Split('\n').Count(line => line.Contains("Mounted from team/base", StringComparison.Ordinal)));
        var mounts = await wharf.WaitForOutputLinesAsync("POST blob_mount team/copy - answered 201", image.Layers.Count, LogWait);
        Assert.True(mounts.Count == image.Layers.Count, $"The server saw {mounts.Count} mounts into team/copy:\n{wharf.RecentOutput(60)}");
        var served = await RegistryHttp.GetManifestAsync(wharf, "team/copy", "v1");
        Assert.Equal(pushed, served.Digest);
        using (var manifest = served.Parse())
        {
            // Docker writes its own manifest format, naming the same config and layers.
            Assert.Equal(image.Config.Digest, manifest.RootElement.GetProperty("config").GetProperty("digest").GetString());
            Assert.Equal(image.Layers.Select(l => l.Digest),
                manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()));
        }

        await docker.RemoveAllImagesAsync();
        await docker.PullAsync(copy, wharf);
        Assert.Equal(image.Config.Digest, await docker.ImageIdAsync(copy));
        Assert.Equal($"{wharf.HostPort}/team/copy@{pushed}", await docker.InspectAsync(copy, "{{index .RepoDigests 0}}"));
    }

    [Fact]
    public async Task Pull_TwoPlatformIndex_PicksThisMachinesPlatform()
    {
        await using var wharf = await WharfProcess.StartAsync(Output);
        using var skopeo = new Skopeo(Output);
        await using var docker = daemons.NewDocker(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var index = layout.AddTwoPlatformIndex("v1", seed: 302);
        var remote = $"{wharf.HostPort}/team/multi:v1";
        (await skopeo.CopyAsync($"oci:{layout.Root}:v1", $"docker://{remote}", "--all", "--preserve-digests")).EnsureSuccess(wharf);

        await docker.PullAsync(remote, wharf);

        // AddTwoPlatformIndex writes amd64 first, then arm64.
        var expected = index.Images[ContainerDaemons.MachineArchitecture == "arm64" ? 1 : 0];
        Assert.Equal(expected.Config.Digest, await docker.ImageIdAsync(remote));
        Assert.Equal(ContainerDaemons.MachineArchitecture, await docker.InspectAsync(remote, "{{.Architecture}}"));
        // The name stays bound to the index, as pulled.
        Assert.Equal($"{wharf.HostPort}/team/multi@{index.Index.Digest}", await docker.InspectAsync(remote, "{{index .RepoDigests 0}}"));
        var other = index.Images.Single(i => i != expected);
        // Once the log shows the layer fetched (docker's last request), it shows every request before it.
        Assert.Single(await wharf.WaitForOutputLinesAsync($"GET blob_get team/multi {expected.Layers[0].Digest}", 1, LogWait));
        var otherManifest = await wharf.WaitForOutputLinesAsync($"manifest_get team/multi {other.Manifest.Digest}", 1, TimeSpan.Zero);
        Assert.True(otherManifest.Count == 0, "docker fetched the other platform's manifest too");
    }

    /// <summary>
    /// The shipped example (examples/auth/wharf.yaml: token mode, the built-in token service) as a docker
    /// user meets it: alice may push team/*, not other/*, and pull team/* back; bob (admin) pushes
    /// public/x; after logout anyone may pull public/* and nothing else; a wrong password is refused at login.
    /// </summary>
    [Fact]
    public async Task LoginPushPullLogout_ExampleAuthConfig_AllowsAndRefusesAsConfigured()
    {
        var config = Path.Combine(Auth.RepositoryRoot.Find(), "examples", "auth", "wharf.yaml");
        await using var wharf = await WharfProcess.StartAsync(new WharfStartOptions { Arguments = ["--config", config] }, Output);
        using var skopeo = new Skopeo(Output);
        await using var docker = daemons.NewDocker(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddImage("v1", layerCount: 1, seed: 303);
        var teamApp = $"{wharf.HostPort}/team/app:v1";
        var otherApp = $"{wharf.HostPort}/other/app:v1";
        var publicX = $"{wharf.HostPort}/public/x:v1";
        await docker.LoadFromLayoutAsync(skopeo, layout, "v1", teamApp);
        await docker.TagAsync(teamApp, otherApp);
        await docker.TagAsync(teamApp, publicX);

        (await docker.LoginAsync(wharf.HostPort, Alice, AlicePassword)).EnsureSuccess(wharf);
        Assert.Contains(wharf.HostPort, File.ReadAllText(docker.ConfigPath), StringComparison.Ordinal);
        var (_, teamDigest) = await docker.PushAsync(teamApp, wharf);
        await AuthRegistryHttp.AssertManifestAsync(wharf, "team/app", "v1", teamDigest, Bob, BobPassword);

        var refused = await docker.RunAsync(["push", otherApp]);
        refused.EnsureRefused(wharf, "denied");
        await AuthRegistryHttp.AssertNoManifestAsync(wharf, "other/app", "v1", Bob, BobPassword);

        (await docker.LoginAsync(wharf.HostPort, Bob, BobPassword)).EnsureSuccess(wharf);
        var (_, publicDigest) = await docker.PushAsync(publicX, wharf);
        await AuthRegistryHttp.AssertManifestAsync(wharf, "public/x", "v1", publicDigest, Bob, BobPassword);

        await docker.RemoveAllImagesAsync();
        (await docker.LoginAsync(wharf.HostPort, Alice, AlicePassword)).EnsureSuccess(wharf);
        await docker.PullAsync(teamApp, wharf);
        Assert.Equal(image.Config.Digest, await docker.ImageIdAsync(teamApp));

        (await docker.LogoutAsync(wharf.HostPort)).EnsureSuccess(wharf);
        Assert.DoesNotContain(wharf.HostPort, File.ReadAllText(docker.ConfigPath), StringComparison.Ordinal);
        await docker.RemoveAllImagesAsync();

        await docker.PullAsync(publicX, wharf);
        Assert.Equal(image.Config.Digest, await docker.ImageIdAsync(publicX));
        var anonymousTeam = await docker.RunAsync(["pull", teamApp]);
        anonymousTeam.EnsureRefused(wharf, "pull access denied");

        var wrongPassword = await docker.LoginAsync(wharf.HostPort, Alice, "not-her-password");
        wrongPassword.EnsureRefused(wharf, "unauthorized");
        Assert.DoesNotContain(wharf.HostPort, File.ReadAllText(docker.ConfigPath), StringComparison.Ordinal);
    }

    /// <summary>
    /// A 200 MiB layer up and down: docker loads it (from skopeo's docker-archive), compresses and pushes
    /// it; the server's copy unpacks to the very tar the image was made of; after every image is removed
    /// docker pulls it back, and the layer it then holds (docker save) is that tar again.
    /// </summary>
    [Fact]
    public async Task PushRemovePull_200MiBLayer_RoundTripsByteForByte()
    {
        await using var wharf = await WharfProcess.StartAsync(Output);
        using var skopeo = new Skopeo(Output);
        await using var docker = daemons.NewDocker(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddBigLayerImage("v1", payloadBytes: 200 * MiB, seed: 304);
        var diffId = Assert.Single(layout.ReadDiffIds(image));
        var remote = $"{wharf.HostPort}/team/big:v1";
        await docker.LoadFromLayoutAsync(skopeo, layout, "v1", remote);
        Directory.Delete(layout.Root, recursive: true);

        var (_, pushed) = await docker.PushAsync(remote, wharf);
        var served = await RegistryHttp.GetManifestAsync(wharf, "team/big", "v1");
        Assert.Equal(pushed, served.Digest);
        string layerDigest;
        using (var manifest = served.Parse())
        {
            var layer = Assert.Single(manifest.RootElement.GetProperty("layers").EnumerateArray().ToList());
            Assert.True(layer.GetProperty("size").GetInt64() > 200 * MiB, layer.ToString());
            layerDigest = layer.GetProperty("digest").GetString()!;
        }
        Assert.Equal(diffId, await RegistryHttp.GetLayerDiffIdAsync(wharf, "team/big", layerDigest));

        await docker.RemoveAllImagesAsync();
        await docker.PullAsync(remote, wharf);
        Assert.Equal(image.Config.Digest, await docker.ImageIdAsync(remote));
        var saved = Path.Combine(WorkDir, "saved.tar");
        (await docker.RunAsync(["save", "--output", saved, remote])).EnsureSuccess();
        var layerTars = await OciLayout.DigestEntriesAsync(saved, name => name.EndsWith("layer.tar", StringComparison.Ordinal));
        Assert.Equal([diffId], layerTars.Values);
    }
}
