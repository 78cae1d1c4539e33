using System.Text.Json;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// The real server (its own process, plain HTTP on loopback) driven by the real podman client, with
/// podman's storage and configuration private to each test. Images reach podman's store without a
/// network: they are written as OCI layouts and pulled with the oci: transport. (Podman 4 names such an
/// image after the layout's path and rejects upper-case letters in it; the work directories here are
/// lower-case GUIDs under the temp directory.)
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class PodmanEndToEndTests(ITestOutputHelper output) : EndToEndTestBase(output)
{
    [Fact]
    public async Task Push_ImageFromOciLayout_PullsBackWithSameImageIdAndDigest()
    {
        await using var wharf = await WharfProcess.StartAsync(Output);
        using var podman = new Podman(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddImage("v1", layerCount: 2, seed: 31);
        var id = await podman.PullAsync($"oci:{layout.Root}:v1", wharf);
        Assert.Equal(Hex(image.Config.Digest), id);
        var remote = $"{wharf.HostPort}/team/podman:v1";
        await podman.TagAsync(id, remote);

        var pushed = await podman.PushAsync(remote, wharf);

        // Podman recompresses layers on push, so only the config (the image ID) is byte-identical to the layout.
        var served = await RegistryHttp.GetManifestAsync(wharf, "team/podman", "v1");
        Assert.Equal(pushed, served.Digest);
        using (var manifest = served.Parse())
        {
            Assert.Equal(image.Config.Digest, manifest.RootElement.GetProperty("config").GetProperty("digest").GetString());
            var layers = manifest.RootElement.GetProperty("layers").EnumerateArray().ToList();
            Assert.Equal(2, layers.Count);
            foreach (var descriptor in layers.Append(manifest.RootElement.GetProperty("config")))
            {
                await RegistryHttp.AssertBlobPresentAsync(wharf, "team/podman", descriptor);
            }
        }

        await podman.RemoveAllImagesAsync();
        Assert.Equal(id, await podman.PullAsync(remote, wharf));
        Assert.Equal(pushed, await podman.InspectImageAsync(remote, "{{.Digest}}"));

        await podman.RemoveAllImagesAsync();
        Assert.Equal(id, await podman.PullAsync($"{wharf.HostPort}/team/podman@{pushed}", wharf));
    }

    [Fact]
    public async Task PushAndPull_RegistryListedInsecureInRegistriesConf_WorkOverHttpWithoutTlsFlag()
    {
        await using var wharf = await WharfProcess.StartAsync(Output);
        using var podman = new Podman(Output, insecureRegistries: wharf.HostPort);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var image = layout.AddImage("v1", layerCount: 1, seed: 32);
        var id = await podman.PullAsync($"oci:{layout.Root}:v1", wharf);
        var remote = $"{wharf.HostPort}/team/insecure:v1";
        await podman.TagAsync(id, remote);

        // Neither command gets --tls-verify: only the registries.conf entry lets podman use plain HTTP.
        var pushed = await podman.PushAsync(remote, wharf, skipTlsVerify: false);
        await podman.RemoveAllImagesAsync();
        var pulled = await podman.PullAsync(remote, wharf, skipTlsVerify: false);

        Assert.Equal(Hex(image.Config.Digest), pulled);
        Assert.Equal(pushed, (await RegistryHttp.GetManifestAsync(wharf, "team/insecure", "v1")).Digest);
        Assert.Equal(pushed, await podman.InspectImageAsync(remote, "{{.Digest}}"));
    }

    [Fact]
    public async Task Pull_RegistryNotListedInsecureAndNoTlsFlag_FailsBecauseHttpsIsRequired()
    {
        await using var wharf = await WharfProcess.StartAsync(Output);
        using var podman = new Podman(Output); // registries.conf lists no insecure registry
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        layout.AddImage("v1", layerCount: 1, seed: 33);
        var id = await podman.PullAsync($"oci:{layout.Root}:v1", wharf);
        var remote = $"{wharf.HostPort}/team/secure:v1";
        await podman.TagAsync(id, remote);
        await podman.PushAsync(remote, wharf); // --tls-verify=false: the image is there
        await podman.RemoveAllImagesAsync();

        var pull = await podman.TryPullAsync(remote, skipTlsVerify: false);

        // The control for the test above: without the registries.conf entry podman insists on HTTPS.
        Assert.False(pull.Succeeded, $"{pull.CommandLine} succeeded over plain HTTP without an insecure entry:\n{pull.StdErr}");
        Assert.Contains("HTTP response to HTTPS client", pull.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManifestPushAll_TwoPlatformList_ServesIndexAndPullsEachPlatform()
    {
        await using var wharf = await WharfProcess.StartAsync(Output);
        using var podman = new Podman(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var images = new Dictionary<string, OciImage>
        {
            ["amd64"] = layout.AddImage("amd64", layerCount: 1, seed: 41, architecture: "amd64"),
            ["arm64"] = layout.AddImage("arm64", layerCount: 2, seed: 42, architecture: "arm64"),
        };
        (await podman.RunAsync(["manifest", "create", "wharf-list"])).EnsureSuccess();
        foreach (var arch in images.Keys)
        {
            var id = await podman.PullAsync($"oci:{layout.Root}:{arch}", wharf);
            (await podman.RunAsync(["manifest", "add", "wharf-list", $"containers-storage:{id}"])).EnsureSuccess();
        }

        var remote = $"{wharf.HostPort}/team/podman-multi:v1";
        var pushed = await podman.ManifestPushAllAsync("wharf-list", $"docker://{remote}", wharf);

        var served = await RegistryHttp.GetManifestAsync(wharf, "team/podman-multi", "v1");
        Assert.Equal(pushed, served.Digest);
        Assert.Contains(served.MediaType, new[] { OciLayout.IndexMediaType, "application/vnd.docker.distribution.manifest.list.v2+json" });
        using (var list = served.Parse())
        {
            var children = list.RootElement.GetProperty("manifests").EnumerateArray()
                .ToDictionary(m => m.GetProperty("platform").GetProperty("architecture").GetString()!,
                              m => m.GetProperty("digest").GetString()!);
            Assert.Equal(images.Keys.Order(), children.Keys.Order());
            foreach (var (arch, image) in images)
            {
                var child = await RegistryHttp.GetManifestAsync(wharf, "team/podman-multi", children[arch]);
                using var manifest = child.Parse();
                Assert.Equal(image.Config.Digest, manifest.RootElement.GetProperty("config").GetProperty("digest").GetString());
                var layers = manifest.RootElement.GetProperty("layers").EnumerateArray().ToList();
                Assert.Equal(image.Layers.Count, layers.Count);
                foreach (var descriptor in layers)
                {
                    await RegistryHttp.AssertBlobPresentAsync(wharf, "team/podman-multi", descriptor);
                }
            }
        }

        await podman.RemoveAllImagesAsync();
        foreach (var (arch, image) in images)
        {
            Assert.Equal(Hex(image.Config.Digest), await podman.PullAsync(remote, wharf, options: ["--arch", arch]));
        }
    }

    private static string Hex(string digest) => digest["sha256:".Length..];
}
