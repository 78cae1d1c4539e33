using Wharf.Cli;
using Wharf.Distribution;

namespace Wharf.Tests.Import;

/// <summary>The <c>wharf import</c> verb in process: arguments, exit codes, where it writes, what it prints.</summary>
[Trait("Category", "Import")]
public sealed class ImportCommandTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "wharf-import-cli-" + Guid.NewGuid().ToString("N"));

    public ImportCommandTests() => Directory.CreateDirectory(_work);

    public void Dispose()
    {
        Wharf.Tests.Api.SqlitePools.ReleaseUnder(_work);
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        var exitCode = await ImportCommand.RunAsync(args, output);
        return (exitCode, output.ToString());
    }

    [Fact]
    public async Task NoRoot_PrintsUsage()
    {
        var (exitCode, output) = await RunAsync();

        Assert.Equal(ImportCommand.BadUsage, exitCode);
        Assert.Contains("Usage: wharf import <root>", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingRoot_Fails()
    {
        var (exitCode, output) = await RunAsync(Path.Combine(_work, "nothing-here"));

        Assert.Equal(ImportCommand.Failed, exitCode);
        Assert.Contains("does not exist", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_work, "nothing-here")));
    }

    [Fact]
    public async Task DirectoryThatIsNotARegistry_FailsAndWritesNothing()
    {
        var root = Path.Combine(_work, "photos");
        Directory.CreateDirectory(Path.Combine(root, "2024"));

        var (exitCode, output) = await RunAsync(root);

        Assert.Equal(ImportCommand.Failed, exitCode);
        Assert.Contains("not a registry:2 data directory", output, StringComparison.Ordinal);
        Assert.Equal(["2024"], Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task PlainImport_AdoptsTheRootInPlace_ShowsProgressWarningsAndSummary()
    {
        var root = Path.Combine(_work, "registry");
        var tree = new DistributionTree(root);
        tree.PushImage("team/app", "v1", seed: 1);
        tree.PushImage("solo", "1.0", seed: 2);
        tree.LinkLayer("solo", Digest.FromHash(Digest.Sha256, new byte[32]));
        var blobsBefore = Directory.EnumerateFiles(Path.Combine(root, "docker", "registry", "v2", "blobs"), "*", SearchOption.AllDirectories).Order().ToList();

        var (exitCode, output) = await RunAsync(root);

        Assert.True(exitCode == ImportCommand.Succeeded, output);
        Assert.True(File.Exists(Path.Combine(root, "wharf.db")), output);
        Assert.Equal(blobsBefore, Directory.EnumerateFiles(Path.Combine(root, "docker", "registry", "v2", "blobs"), "*", SearchOption.AllDirectories).Order());
        Assert.Contains("Found 2 repositories", output, StringComparison.Ordinal);
        Assert.Contains("[1/2] solo: 1 tag, 1 manifest, 3 blobs; imported 1 tag, 1 manifest, 2 blob links; 1 warning", output, StringComparison.Ordinal);
        Assert.Contains("[2/2] team/app: 1 tag, 1 manifest, 2 blobs; imported 1 tag, 1 manifest, 2 blob links", output, StringComparison.Ordinal);
        Assert.Contains("  repositories  2: 2 imported, 0 already imported", output, StringComparison.Ordinal);
        Assert.Contains("  bytes copied  0 (in place)", output, StringComparison.Ordinal);
        Assert.Contains("  warnings      1", output, StringComparison.Ordinal);
        Assert.Contains("    [dangling blob link] solo: _layers links blob sha256:", output, StringComparison.Ordinal);
        Assert.Contains($"Serve it with: wharf --Storage:Root {root}", output, StringComparison.Ordinal);

        var (again, secondOutput) = await RunAsync(root);

        Assert.Equal(ImportCommand.Succeeded, again);
        Assert.Contains("[2/2] team/app: 1 tag, 1 manifest, 2 blobs; already imported", secondOutput, StringComparison.Ordinal);
        Assert.Contains("  repositories  2: 0 imported, 2 already imported", secondOutput, StringComparison.Ordinal);
        Assert.Contains("Nothing changed: everything had already been imported.", secondOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StorageRootGiven_MetadataAndCopiedBlobsGoThere()
    {
        var root = Path.Combine(_work, "registry");
        var image = new DistributionTree(root).PushImage("team/app", "v1", seed: 1);
        var target = Path.Combine(_work, "wharf");

        var (exitCode, output) = await RunAsync(root, "--Storage:Root", target);

        Assert.True(exitCode == ImportCommand.Succeeded, output);
        Assert.True(File.Exists(Path.Combine(target, "wharf.db")));
        Assert.False(File.Exists(Path.Combine(root, "wharf.db")));
        Assert.True(File.Exists(new DistributionTree(target).BlobDataPath(image.Layer)));
        Assert.Contains($"blobs are copied into {target}", output, StringComparison.Ordinal);
        Assert.DoesNotContain("bytes copied  0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigFileGiven_ItsStorageRootIsWhereMetadataGoes()
    {
        var root = Path.Combine(_work, "registry");
        new DistributionTree(root).PushImage("team/app", "v1", seed: 2);
        var target = Path.Combine(_work, "configured");
        var config = Path.Combine(_work, "wharf.yaml");
        Directory.CreateDirectory(_work);
        await File.WriteAllTextAsync(config, $"Storage:\n  Root: {target}\n");

        var (exitCode, output) = await RunAsync(root, "--config", config);

        Assert.True(exitCode == ImportCommand.Succeeded, output);
        Assert.True(File.Exists(Path.Combine(target, "wharf.db")), "the --config file's Storage:Root was not used");
        Assert.False(File.Exists(Path.Combine(root, "wharf.db")));
    }
}
