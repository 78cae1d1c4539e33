using System.Globalization;
using Wharf.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Wharf.Tests.Server;

/// <summary>
/// The server started as the README starts it: in a directory whose ./data holds the store. A large
/// store has a directory per blob, so nothing may walk or watch the working directory's tree.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class WorkingDirectoryEndToEndTests(ITestOutputHelper output) : EndToEndTestBase(output)
{
    private const int BlobDirectories = 300;

    [Fact]
    public async Task Start_StoreInsideWorkingDirectory_PutsNoWatchOnItsDirectories()
    {
        var data = Path.Combine(WorkDir, "data");
        for (var i = 0; i < BlobDirectories; i++)
        {
            var hex = i.ToString("x64", CultureInfo.InvariantCulture);
            Directory.CreateDirectory(Path.Combine(data, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex));
        }

        await using var wharf = await WharfProcess.StartAsync(
            new WharfStartOptions { WorkingDirectory = WorkDir, Arguments = ["--Storage:Root", data] }, Output);

        // Configuration reloading on change would watch the working directory recursively: one inotify
        // watch per directory below it, each listed in the fdinfo of the process's inotify descriptors.
        var watches = Directory.EnumerateFiles($"/proc/{wharf.Pid}/fdinfo")
            .Sum(fdinfo => ReadOrEmpty(fdinfo).Count(line => line.StartsWith("inotify wd:", StringComparison.Ordinal)));
        Assert.True(watches < 10, $"The server holds {watches} inotify watches with {BlobDirectories} blob directories below its working directory.");
    }

    private static string[] ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (IOException)
        {
            return []; // a descriptor closed since it was listed
        }
    }
}
