using Wharf.Tests.EndToEnd;
using Wharf.Tests.Import;
using Xunit.Abstractions;

namespace Wharf.Tests.Gc;

/// <summary>Garbage collection with the real server, the real CLI and skopeo: what one deleted image
/// alone held leaves the disk, and nothing else does.</summary>
[Trait("Category", "EndToEnd")]
public sealed class GcEndToEndTests(ITestOutputHelper output) : EndToEndTestBase(output)
{
    [Fact]
    public async Task Gc_ThreeImagesOnOneBaseOneDeleted_FreesExactlyWhatOnlyItHeld()
    {
        using var skopeo = new Skopeo(Output);
        // The server's own collector waits the default day, so only the CLI run below collects.
        await using var wharf = await WharfProcess.StartAsync(Output);
        var source = OciLayout.Create(Path.Combine(WorkDir, "source"));
        var images = new[] { "one", "two", "three" }
            .Select((name, i) => (Name: name, Image: source.AddImageOnBase(name, baseSeed: 7, seed: 100 + i)))
            .ToList();
        foreach (var (name, _) in images)
        {
            (await skopeo.CopyAsync($"oci:{source.Root}:{name}", $"docker://{wharf.HostPort}/gc/{name}:v1", "--preserve-digests")).EnsureSuccess(wharf);
        }
        var deleted = images[1].Image;
        var kept = images.Where(i => i.Name != "two").Select(i => i.Image).ToList();
        var everything = images.SelectMany(i => Files(i.Image)).Distinct().ToList();
        Assert.All(everything, digest => Assert.True(File.Exists(BlobFile(wharf, digest)), $"{digest} was pushed"));

        (await skopeo.DeleteAsync($"docker://{wharf.HostPort}/gc/two@{deleted.Manifest.Digest}")).EnsureSuccess(wharf);
        var gc = await WharfCli.RunAsync(Output, "gc", "--Storage:Root", wharf.StorageRoot, "--Gc:ReviewDelay", "00:00:00");

        Assert.Equal(0, gc.ExitCode);
        var onlyDeleted = Files(deleted).Except(kept.SelectMany(Files)).ToList();
        Assert.Equal(3, onlyDeleted.Count); // its manifest, its config, its own layer; not the base
        Assert.All(onlyDeleted, digest => Assert.False(File.Exists(BlobFile(wharf, digest)), $"{digest} only the deleted image held"));
        Assert.All(everything.Except(onlyDeleted), digest => Assert.True(File.Exists(BlobFile(wharf, digest)), $"{digest} is still used"));
        Assert.False(Directory.Exists(Path.GetDirectoryName(BlobFile(wharf, onlyDeleted[0]))), "nothing of a deleted blob is left behind");
        foreach (var (name, image) in images.Where(i => i.Name != "two"))
        {
            var pulled = Path.Combine(WorkDir, "pulled-" + name);
            (await skopeo.CopyAsync($"docker://{wharf.HostPort}/gc/{name}:v1", $"oci:{pulled}:v1", "--preserve-digests")).EnsureSuccess(wharf);
            Assert.Equal(image.Manifest.Digest, OciLayout.ReadTag(pulled, "v1").Digest);
            Assert.All(Files(image), digest => Assert.Equal(digest, OciLayout.ComputeDigest(File.ReadAllBytes(Path.Combine(pulled, "blobs", "sha256", digest["sha256:".Length..])))));
        }
        var again = await skopeo.CopyAsync($"docker://{wharf.HostPort}/gc/two@{deleted.Manifest.Digest}", $"oci:{Path.Combine(WorkDir, "gone")}:v1");
        Assert.False(again.Succeeded);
    }

    private static IEnumerable<string> Files(OciImage image) =>
        new[] { image.Manifest.Digest, image.Config.Digest }.Concat(image.Layers.Select(l => l.Digest));

    private static string BlobFile(WharfProcess wharf, string digest) => StoredBlobFiles.PathOf(wharf.StorageRoot, digest);
}
