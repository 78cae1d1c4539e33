using System.Formats.Tar;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// The real server (its own process, plain HTTP on loopback) driven by containerd through its own
/// client, ctr (Debian's containerd 1.6: the run's private daemon, <see cref="ContainerDaemons"/>),
/// which is how every Kubernetes node pulls. Each test works in a containerd namespace of its own.
/// </summary>
[Collection(ContainerDaemonsCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class ContainerdEndToEndTests(ContainerDaemons daemons, ITestOutputHelper output) : EndToEndTestBase(output)
{
    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan LogWait = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task PullAllPlatformsThenPush_IndexSkopeoPushed_EveryPlatformArrivesAndIsMounted()
    {
        await using var wharf = await WharfProcess.StartAsync(Output);
        using var skopeo = new Skopeo(Output);
        await using var ctr = daemons.NewCtr(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var index = layout.AddTwoPlatformIndex("v1", seed: 311);
        var source = $"{wharf.HostPort}/team/multi:v1";
        (await skopeo.CopyAsync($"oci:{layout.Root}:v1", $"docker://{source}", "--all", "--preserve-digests")).EnsureSuccess(wharf);

        (await ctr.RunAsync(["images", "pull", "--plain-http", "--all-platforms", source])).EnsureSuccess(wharf);

        Assert.Equal(index.Index.Digest, await ctr.ImageDigestAsync(source));
        var blobs = index.Images.SelectMany(i => (OciDescriptor[])[i.Manifest, i.Config, .. i.Layers]).Select(d => d.Digest).ToList();
        var content = await ctr.ContentDigestsAsync();
        Assert.All(blobs, digest => Assert.Contains(digest, content));

        var copy = $"{wharf.HostPort}/team/multi-copy:v1";
        (await ctr.RunAsync(["images", "tag", source, copy])).EnsureSuccess();
        (await ctr.RunAsync(["images", "push", "--plain-http", copy])).EnsureSuccess(wharf);

        // containerd labels what it pulled with the repository it came from, and mounts it from there.
        var configsAndLayers = index.Images.Sum(i => 1 + i.Layers.Count);
        var mounts = await wharf.WaitForOutputLinesAsync("POST blob_mount team/multi-copy - answered 201", configsAndLayers, LogWait);
        Assert.True(mounts.Count == configsAndLayers, $"The server saw {mounts.Count} mounts into team/multi-copy:\n{wharf.RecentOutput(60)}");
        Assert.Equal(index.Index.Digest, (await RegistryHttp.GetManifestAsync(wharf, "team/multi-copy", "v1")).Digest);
        foreach (var image in index.Images)
        {
            Assert.Equal(image.Manifest.Digest, (await RegistryHttp.GetManifestAsync(wharf, "team/multi-copy", image.Manifest.Digest)).Digest);
        }
    }

    /// <summary>The shipped example (token mode, the built-in token service): ctr's --user gets a token for
    /// team/app as alice; without it, or with a wrong password, the pull is refused.</summary>
    [Fact]
    public async Task PullWithUser_ExampleAuthConfig_TokenServiceGrantsOnlyTheRightCredentials()
    {
        var config = Path.Combine(Auth.RepositoryRoot.Find(), "examples", "auth", "wharf.yaml");
        await using var wharf = await WharfProcess.StartAsync(new WharfStartOptions { Arguments = ["--config", config] }, Output);
        using var skopeo = new Skopeo(Output);
        await using var ctr = daemons.NewCtr(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddImage("v1", layerCount: 1, seed: 312);
        var remote = $"{wharf.HostPort}/team/app:v1";
        (await skopeo.RunAsync(["copy", "--dest-tls-verify=false", "--dest-creds", "alice:alice-secret", "--retry-times", "0",
            "--preserve-digests", $"oci:{layout.Root}:v1", $"docker://{remote}"])).EnsureSuccess(wharf);

        var anonymous = await ctr.RunAsync(["images", "pull", "--plain-http", remote]);
        // The anonymous token grants nothing on team/*.
        anonymous.EnsureRefused(wharf, "pull access denied", "insufficient_scope");
        var wrongPassword = await ctr.RunAsync(["images", "pull", "--plain-http", "--user", "alice:not-her-password", remote]);
        wrongPassword.EnsureRefused(wharf, "401 Unauthorized", "unauthorized");
        Assert.Empty(await ctr.ImageNamesAsync());

        (await ctr.RunAsync(["images", "pull", "--plain-http", "--user", "alice:alice-secret", remote])).EnsureSuccess(wharf);
        Assert.Equal(image.Manifest.Digest, await ctr.ImageDigestAsync(remote));
        var asAlice = await wharf.WaitForOutputLinesAsync("team/app v1 answered 200", 1, LogWait);
        Assert.True(asAlice.Any(line => line.Contains("caller alice", StringComparison.Ordinal)),
            $"The tag was not resolved with alice's token:\n{wharf.RecentOutput(40)}");
    }

    /// <summary>
    /// A 200 MiB layer up and down: ctr imports an OCI archive and pushes it (the server holds exactly
    /// the archive's blobs); once containerd has dropped the image and its content, it pulls it back and
    /// the layer it then holds (ctr export) is the same bytes.
    /// </summary>
    [Fact]
    public async Task ImportPushRemovePull_200MiBLayer_RoundTripsByteForByte()
    {
        await using var wharf = await WharfProcess.StartAsync(Output);
        await using var ctr = daemons.NewCtr(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddBigLayerImage("v1", payloadBytes: 200 * MiB, seed: 313);
        var layer = Assert.Single(image.Layers);
        var diffId = Assert.Single(layout.ReadDiffIds(image));
        var archive = Path.Combine(WorkDir, "image.oci.tar");
        await TarFile.CreateFromDirectoryAsync(layout.Root, archive, includeBaseDirectory: false);
        Directory.Delete(layout.Root, recursive: true);
        var remote = $"{wharf.HostPort}/team/big:v1";
        // The archive's index.json names the image "v1"; --base-name makes that <registry>/team/big:v1.
        (await ctr.RunAsync(["images", "import", "--no-unpack", "--base-name", $"{wharf.HostPort}/team/big", archive])).EnsureSuccess();
        File.Delete(archive);
        Assert.Equal(image.Manifest.Digest, await ctr.ImageDigestAsync(remote));

        (await ctr.RunAsync(["images", "push", "--plain-http", remote])).EnsureSuccess(wharf);
        Assert.Equal(image.Manifest.Digest, (await RegistryHttp.GetManifestAsync(wharf, "team/big", "v1")).Digest);
        Assert.Equal(diffId, await RegistryHttp.GetLayerDiffIdAsync(wharf, "team/big", layer.Digest));

        (await ctr.RunAsync(["images", "rm", "--sync", remote])).EnsureSuccess();
        Assert.DoesNotContain(layer.Digest, await ctr.ContentDigestsAsync());
        (await ctr.RunAsync(["images", "pull", "--plain-http", remote])).EnsureSuccess(wharf);
        Assert.Equal(image.Manifest.Digest, await ctr.ImageDigestAsync(remote));

        var exported = Path.Combine(WorkDir, "exported.tar");
        (await ctr.RunAsync(["images", "export", exported, remote])).EnsureSuccess();
        var blobName = "blobs/sha256/" + layer.Digest["sha256:".Length..];
        var exportedLayer = await OciLayout.DigestEntriesAsync(exported, name => name == blobName);
        Assert.True(exportedLayer.TryGetValue(blobName, out var exportedDigest), $"{exported} holds no {blobName}");
        Assert.Equal(layer.Digest, exportedDigest);
    }
}
