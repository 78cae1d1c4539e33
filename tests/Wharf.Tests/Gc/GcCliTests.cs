using System.Net;
using System.Text.Json;
using Wharf.Tests.Api;
using Wharf.Tests.Import;
using Xunit.Abstractions;

namespace Wharf.Tests.Gc;

/// <summary><c>wharf gc --dry-run</c> and <c>wharf scrub</c>, run as an operator runs them, beside a
/// server serving the same data directory.</summary>
[Trait("Category", "EndToEnd")]
public sealed class GcCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly WharfApiFactory _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task DryRun_ListsWhatWouldGoAndChangesNothing()
    {
        var registry = new RegistryClient(_server.CreateClient());
        var (json, digest) = await registry.PushImageAsync("cli/app", "v1", seed: "dry");
        await registry.PushImageAsync("cli/app", "v2", seed: "stays");
        using (var delete = await registry.Http.DeleteAsync($"/v2/cli/app/manifests/{digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        var layer = JsonDocument.Parse(json).RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;

        var result = await WharfCli.RunAsync(output, "gc", "--dry-run", "--Storage:Root", _server.StorageRoot, "--Gc:ReviewDelay", "00:00:00");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"blob     {digest}", result.StdOut);
        Assert.Contains($"blob     {layer}", result.StdOut);
        Assert.Contains($"link     cli/app {layer}", result.StdOut);
        Assert.Contains("delete 3 blobs", result.StdOut);
        using var still = await registry.Http.GetAsync($"/v2/cli/app/blobs/{layer}");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task Gc_BadSetting_ExitsTwoWithTheProblem()
    {
        var result = await WharfCli.RunAsync(output, "gc", "--Storage:Root", _server.StorageRoot, "--Gc:Interval", "00:00:00");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Gc:Interval", result.StdErr);
    }

    [Fact]
    public async Task Scrub_CorruptBlob_ReportedThenRepairedAndPushedAgain()
    {
        var registry = new RegistryClient(_server.CreateClient());
        var layerBytes = "layer bytes for scrub"u8.ToArray();
        var layer = await registry.PushBlobAsync("cli/app", layerBytes);
        var file = StoredBlobFiles.PathOf(_server.StorageRoot, layer);
        await File.WriteAllTextAsync(file, "bit rot");

        var found = await WharfCli.RunAsync(output, "scrub", "--Storage:Root", _server.StorageRoot);
        var repaired = await WharfCli.RunAsync(output, "scrub", "--repair", "--Storage:Root", _server.StorageRoot);

        Assert.Equal(3, found.ExitCode);
        Assert.Contains($"corrupt  {layer}", found.StdOut);
        Assert.Equal(0, repaired.ExitCode);
        Assert.Contains("1 repaired", repaired.StdOut);
        Assert.False(File.Exists(file));
        // The next push of the blob uploads it again, and the bytes are sound.
        using var head = await registry.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/cli/app/blobs/{layer}"));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        await registry.PushBlobAsync("cli/app", layerBytes);
        Assert.Equal(layerBytes, await File.ReadAllBytesAsync(file));
    }
}
