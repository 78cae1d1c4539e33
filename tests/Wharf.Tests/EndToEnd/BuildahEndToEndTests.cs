using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// The real server (its own process, plain HTTP on loopback) driven by the real buildah client building
/// images without running anything (from, copy, config, commit), with private storage per test; what the
/// server holds is checked over raw HTTP and by pulling it back with skopeo.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class BuildahEndToEndTests(ITestOutputHelper output) : EndToEndTestBase(output)
{
    private const string Script = "#!/bin/sh\necho hello from wharf\n";
    [Theory]
    [InlineData("oci", OciLayout.ManifestMediaType)]
    [InlineData("docker", "application/vnd.docker.distribution.manifest.v2+json")]
    public async Task Push_ScratchImageWithCopiedFile_ServesItsLayerAndPullsWithSameDigest(string format, string manifestMediaType)
    {
        await using var wharf = await WharfProcess.StartAsync(Output);
        using var buildah = new Buildah(Output);
        using var skopeo = new Skopeo(Output);
        var script = Path.Combine(WorkDir, "hello.sh");
        File.WriteAllText(script, Script);
        var repository = $"team/buildah-{format}";
        var remote = $"{wharf.HostPort}/{repository}:v1";

        var container = await buildah.FromScratchAsync();
        await buildah.CopyAsync(container, script, "/hello.sh", "--chmod", "0755");
        await buildah.ConfigAsync(container, "--entrypoint", """["/hello.sh"]""", "--label", "org.example.wharf=buildah");
        var id = await buildah.CommitAsync(container, remote, format);
        var pushed = await buildah.PushAsync(id, $"docker://{remote}", wharf);

        var served = await RegistryHttp.GetManifestAsync(wharf, repository, "v1");
        Assert.Equal(pushed, served.Digest);
        Assert.Equal(manifestMediaType, served.MediaType);
        using var manifest = served.Parse();
        var configDigest = manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
        Assert.Equal("sha256:" + id, configDigest);
        var layer = Assert.Single(manifest.RootElement.GetProperty("layers").EnumerateArray().ToList());
        await RegistryHttp.AssertBlobPresentAsync(wharf, repository, layer);

        var tar = Gunzip(await RegistryHttp.GetBlobAsync(wharf, repository, layer.GetProperty("digest").GetString()!));
        var (content, mode) = ReadTarFile(tar, "hello.sh");
        Assert.Equal(Script, content);
        Assert.True(mode.HasFlag(UnixFileMode.UserExecute), $"/hello.sh has mode {mode}, not 0755");

        using (var config = JsonDocument.Parse(await RegistryHttp.GetBlobAsync(wharf, repository, configDigest)))
        {
            var runtime = config.RootElement.GetProperty("config");
            Assert.Equal(["/hello.sh"], runtime.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal("buildah", runtime.GetProperty("Labels").GetProperty("org.example.wharf").GetString());
            var diffId = Assert.Single(config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().ToList());
            Assert.Equal(OciLayout.ComputeDigest(tar), diffId.GetString());
        }

        var raw = (await skopeo.InspectRawAsync($"docker://{remote}")).EnsureSuccess(wharf).StdOutBytes;
        Assert.Equal(pushed, OciLayout.ComputeDigest(raw));
        var pulledDir = Path.Combine(WorkDir, "pulled");
        (await skopeo.CopyAsync($"docker://{remote}", $"oci:{pulledDir}:v1", "--preserve-digests")).EnsureSuccess(wharf);
        Assert.Equal(pushed, OciLayout.ReadTag(pulledDir, "v1").Digest);
        foreach (var digest in new[] { pushed, configDigest, layer.GetProperty("digest").GetString()! })
        {
            Assert.Equal(digest, OciLayout.ComputeFileDigest(OciLayout.BlobPath(pulledDir, digest)));
        }
    }

    [Fact]
    public async Task From_BaseImagePulledFromWharf_PushesDerivedImageOnTopOfBaseLayers()
    {
        await using var wharf = await WharfProcess.StartAsync(Output);
        using var buildah = new Buildah(Output);
        using var skopeo = new Skopeo(Output);
        var layout = OciLayout.Create(Path.Combine(WorkDir, "layout"));
        var baseImage = layout.AddImage("v1", layerCount: 2, seed: 51);
        var baseRemote = $"{wharf.HostPort}/team/base:v1";
        (await skopeo.CopyAsync($"oci:{layout.Root}:v1", $"docker://{baseRemote}", "--preserve-digests")).EnsureSuccess(wharf);
        var script = Path.Combine(WorkDir, "hello.sh");
        File.WriteAllText(script, Script);

        var container = await buildah.FromAsync(baseRemote, wharf);
        Assert.Equal(baseImage.Manifest.Digest,
            (await buildah.RunAsync(["inspect", "--type", "container", "--format", "{{.FromImageDigest}}", container]))
                .EnsureSuccess().StdOut.Trim());
        await buildah.CopyAsync(container, script, "/usr/local/bin/hello.sh", "--chmod", "0755");
        await buildah.ConfigAsync(container, "--cmd", "/usr/local/bin/hello.sh");
        var derivedRemote = $"{wharf.HostPort}/team/derived:v1";
        var id = await buildah.CommitAsync(container, derivedRemote, "oci");
        var pushed = await buildah.PushAsync(id, $"docker://{derivedRemote}", wharf);

        var served = await RegistryHttp.GetManifestAsync(wharf, "team/derived", "v1");
        Assert.Equal(pushed, served.Digest);
        using var manifest = served.Parse();
        var layers = manifest.RootElement.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(3, layers.Count);
        foreach (var descriptor in layers.Append(manifest.RootElement.GetProperty("config")))
        {
            await RegistryHttp.AssertBlobPresentAsync(wharf, "team/derived", descriptor);
        }

        // The derived image is the base's layers (same uncompressed content) plus the one buildah added.
        using var baseConfig = JsonDocument.Parse(File.ReadAllBytes(OciLayout.BlobPath(layout.Root, baseImage.Config.Digest)));
        var configDigest = manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
        using var derivedConfig = JsonDocument.Parse(await RegistryHttp.GetBlobAsync(wharf, "team/derived", configDigest));
        var baseDiffIds = DiffIds(baseConfig);
        var derivedDiffIds = DiffIds(derivedConfig);
        Assert.Equal(baseDiffIds, derivedDiffIds.Take(baseDiffIds.Count));
        var top = Gunzip(await RegistryHttp.GetBlobAsync(wharf, "team/derived", layers[^1].GetProperty("digest").GetString()!));
        Assert.Equal(derivedDiffIds[^1], OciLayout.ComputeDigest(top));
        Assert.Equal(Script, ReadTarFile(top, "usr/local/bin/hello.sh").Content);

        var pulledDir = Path.Combine(WorkDir, "pulled");
        (await skopeo.CopyAsync($"docker://{derivedRemote}", $"oci:{pulledDir}:v1", "--preserve-digests")).EnsureSuccess(wharf);
        Assert.Equal(pushed, OciLayout.ReadTag(pulledDir, "v1").Digest);
    }

    private static List<string> DiffIds(JsonDocument config) =>
        config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()!).ToList();

    private static byte[] Gunzip(byte[] compressed)
    {
        using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }

    /// <summary>The content and mode of a regular file in a tar, whether its name is written "path" or "./path".</summary>
    private static (string Content, UnixFileMode Mode) ReadTarFile(byte[] tar, string path)
    {
        using var reader = new TarReader(new MemoryStream(tar));
        var names = new List<string>();
        while (reader.GetNextEntry() is { } entry)
        {
            var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name.TrimStart('/');
            names.Add(entry.Name);
            if (name == path && entry.DataStream is not null)
            {
                using var text = new StreamReader(entry.DataStream, Encoding.UTF8);
                return (text.ReadToEnd(), entry.Mode);
            }
        }

        Assert.Fail($"{path} is not in the layer; it holds: {string.Join(", ", names)}");
        return default;
    }
}
