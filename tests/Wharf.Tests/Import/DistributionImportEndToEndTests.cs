using System.Diagnostics;
using System.Text.Json;
using Wharf.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Wharf.Tests.Import;

/// <summary>
/// A real registry:2 data directory, filled by skopeo through the real CNCF distribution 2.8
/// (Debian's docker-registry), adopted with the real <c>wharf import</c> and served by the real
/// Wharf: every tag must come back with the same manifest digest, and the catalog and tag lists
/// must be the ones distribution served.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Import")]
public sealed class DistributionImportEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "wharf-import-e2e-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory must not fail the test.
        }
    }

    /// <summary>One push: a tag of the OCI layout to a repository and tag of the registry.</summary>
    private sealed record Push(string Repository, string Tag, string SourceTag, params string[] Options)
    {
        public bool IsIndex => Options.Contains("--all");
    }

    [Fact]
    public async Task ImportOfDistributionData_WharfServesTheSameDigestsTagsAndCatalog()
    {
        using var skopeo = new Skopeo(output); // fails, never skips, without skopeo
        var root = Path.Combine(_work, "registry");
        Directory.CreateDirectory(root);
        var source = OciLayout.Create(Path.Combine(_work, "source"));
        source.AddImage("v1", layerCount: 3, seed: 11);
        source.AddImage("v2", layerCount: 2, seed: 12);
        source.AddTwoPlatformIndex("multi", seed: 13);
        source.AddImage("gone", layerCount: 1, seed: 14);
        source.AddImage("tool", layerCount: 1, seed: 15, architecture: "arm64");
        Push[] pushes =
        [
            new("team/app", "v1", "v1", "--preserve-digests"),
            new("team/app", "v2", "v2", "--preserve-digests"),
            new("team/app", "latest", "v2", "--preserve-digests"),
            new("team/app", "gone", "gone", "--preserve-digests"),
            new("team/multi", "v1", "multi", "--all", "--preserve-digests"),
            new("team/multi", "stable", "multi", "--all", "--preserve-digests"),
            new("solo", "1.0", "v1", "--preserve-digests"),
            new("org/group/sub/tool", "v1", "tool", "--preserve-digests"),
            new("team", "base", "v2", "--preserve-digests"),
            // Converted by skopeo to Docker schema2 media types: a second manifest format.
            new("team/docker", "v1", "v1", "--format", "v2s2"),
        ];

        // 1. Fill a distribution data directory through distribution itself, and record what it serves.
        var clock = Stopwatch.StartNew();
        List<string> catalog;
        var tags = new Dictionary<string, List<string>>();
        var digests = new Dictionary<string, string>();
        await using (var registry = await DockerRegistryProcess.StartAsync(root, output))
        {
            foreach (var push in pushes)
            {
                (await skopeo.CopyAsync($"oci:{source.Root}:{push.SourceTag}", $"docker://{registry.HostPort}/{push.Repository}:{push.Tag}", push.Options))
                    .EnsureSuccess();
            }
            // Deleted in distribution: its empty revision directory stays behind, its tag does not.
            (await skopeo.DeleteAsync($"docker://{registry.HostPort}/team/app:gone")).EnsureSuccess();

            using var http = registry.CreateClient();
            catalog = await ReadCatalogAsync(http);
            foreach (var repository in catalog)
            {
                tags[repository] = await ReadTagsAsync(http, repository);
                foreach (var tag in tags[repository])
                {
                    digests[$"{repository}:{tag}"] = await ManifestDigestAsync(skopeo, $"{registry.HostPort}/{repository}:{tag}");
                }
            }
            await registry.StopAsync();
        }
        output.WriteLine($"distribution filled and read in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(["org/group/sub/tool", "solo", "team", "team/app", "team/docker", "team/multi"], catalog);
        Assert.Equal(["latest", "v1", "v2"], tags["team/app"]);
        Assert.Equal(pushes.Length - 1, digests.Count);
        var blobsDirectory = Path.Combine(root, "docker", "registry", "v2", "blobs");
        var blobsBefore = ListFiles(blobsDirectory);

        // 2. Adopt it with the real CLI; a second run must find nothing left to do.
        var first = await WharfCli.RunAsync(output, "import", root);
        Assert.True(first.ExitCode == 0, first.StdErr);
        Assert.Contains($"Found {catalog.Count} repositories", first.StdErr, StringComparison.Ordinal);
        for (var i = 1; i <= catalog.Count; i++)
        {
            Assert.Contains($"[{i}/{catalog.Count}] {catalog[i - 1]}: ", first.StdErr, StringComparison.Ordinal);
        }
        Assert.Contains($"  repositories  {catalog.Count}: {catalog.Count} imported, 0 already imported", first.StdErr, StringComparison.Ordinal);
        Assert.Contains($"  tags          {digests.Count}: {digests.Count} imported", first.StdErr, StringComparison.Ordinal);
        Assert.Contains("  bytes copied  0 (in place)", first.StdErr, StringComparison.Ordinal);
        Assert.Contains("  warnings      0", first.StdErr, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(root, "wharf.db")));
        Assert.Equal(blobsBefore, ListFiles(blobsDirectory));

        var second = await WharfCli.RunAsync(output, "import", root);
        Assert.True(second.ExitCode == 0, second.StdErr);
        Assert.Contains($"  repositories  {catalog.Count}: 0 imported, {catalog.Count} already imported", second.StdErr, StringComparison.Ordinal);
        Assert.Contains("Nothing changed: everything had already been imported.", second.StdErr, StringComparison.Ordinal);

        // 3. Serve the same directory with Wharf and pull everything back.
        await using var wharf = await WharfProcess.StartAsync(root, output);
        Directory.CreateDirectory(Path.Combine(_work, "pulled"));
        using (var http = wharf.CreateClient())
        {
            Assert.Equal(catalog, await ReadCatalogAsync(http));
            foreach (var repository in catalog)
            {
                Assert.Equal(tags[repository], await ReadTagsAsync(http, repository));
            }
        }
        foreach (var push in pushes.Where(p => p.Tag != "gone"))
        {
            var reference = $"{push.Repository}:{push.Tag}";
            var expected = digests[reference];
            Assert.Equal(expected, await ManifestDigestAsync(skopeo, $"{wharf.HostPort}/{reference}", wharf));
            // A full pull: every blob (and each platform of an index) fetched and verified by skopeo.
            var pulled = Path.Combine(_work, "pulled", reference.Replace('/', '_').Replace(':', '_'));
            string[] options = push.IsIndex ? ["--all", "--preserve-digests"] : ["--preserve-digests"];
            (await skopeo.CopyAsync($"docker://{wharf.HostPort}/{reference}", $"dir:{pulled}", options)).EnsureSuccess(wharf);
            Assert.Equal(expected, OciLayout.ComputeFileDigest(Path.Combine(pulled, "manifest.json")));
        }
        Assert.Equal(blobsBefore, ListFiles(blobsDirectory));
    }

    private static async Task<List<string>> ReadCatalogAsync(HttpClient http)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("v2/_catalog?n=1000", UriKind.Relative)));
        return document.RootElement.GetProperty("repositories").EnumerateArray().Select(r => r.GetString()!).ToList();
    }

    // Sorted: distribution 2.8 lists tags in directory order, Wharf in lexical order.
    private static async Task<List<string>> ReadTagsAsync(HttpClient http, string repository)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri($"v2/{repository}/tags/list", UriKind.Relative)));
        return document.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).Order(StringComparer.Ordinal).ToList();
    }

    private static async Task<string> ManifestDigestAsync(Skopeo skopeo, string reference, WharfProcess? server = null) =>
        OciLayout.ComputeDigest((await skopeo.InspectRawAsync($"docker://{reference}")).EnsureSuccess(server).StdOutBytes);

    private static List<string> ListFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
}
