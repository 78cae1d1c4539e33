using Wharf.Cli;
using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Manifests;

namespace Wharf.Metadata.PostgreSql.Tests;

/// <summary><c>wharf metadata copy</c> from an SQLite file into PostgreSQL: moving a registry up to
/// several replicas.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MetadataCopyCommandTests(PostgresServer server) : IDisposable
{
    private static readonly RepositoryName App = RepositoryName.Parse("team/app");
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Copy_SqliteIntoEmptyPostgres_CopiesEverythingAndVerifies()
    {
        var sourceFile = _temp.Combine("wharf.db");
        var image = new ManifestRecord(TestDigests.Sha256Of("image"), MediaTypes.OciManifest, 300);
        using (var source = new SqliteMetadataStore(sourceFile))
        {
            await source.LinkBlobAsync(App, TestDigests.Sha256Of("layer"), 10, default);
            await source.PutManifestAsync(App, image, [(TestDigests.Sha256Of("layer"), ReferenceKind.Layer)], ["v1", "latest"], default);
        }
        var connectionString = await server.CreateSchemaAsync();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await MetadataCopyCommand.RunAsync(
            ["--from", sourceFile, "--Metadata:Provider", "postgres", "--Metadata:ConnectionString", connectionString], output, error);

        Assert.True(exitCode == MetadataCopyCommand.Succeeded, output + error.ToString());
        Assert.Contains("Copied 1 repositories, 1 blob links, 1 manifests, 2 tags", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("Verified", output.ToString(), StringComparison.Ordinal);
        await using var target = new PostgreSqlMetadataStore(connectionString);
        Assert.Equal(image, await target.GetManifestAsync(App, Reference.Parse("latest"), default));
        Assert.Equal(10, await target.GetLinkedBlobSizeAsync(App, TestDigests.Sha256Of("layer"), default));
    }

    [Fact]
    public async Task Copy_TargetAlreadyHoldingOtherContent_FailsVerification()
    {
        var sourceFile = _temp.Combine("wharf.db");
        using (var source = new SqliteMetadataStore(sourceFile))
        {
            await source.LinkBlobAsync(App, TestDigests.Sha256Of("layer"), 10, default);
        }
        var connectionString = await server.CreateSchemaAsync();
        await using (var target = await PostgreSqlMetadataStore.OpenAsync(connectionString, null, default))
        {
            await target.LinkBlobAsync(RepositoryName.Parse("elsewhere/app"), TestDigests.Sha256Of("x"), 1, default);
        }
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await MetadataCopyCommand.RunAsync(
            ["--from", sourceFile, "--Metadata:Provider", "postgres", "--Metadata:ConnectionString", connectionString], output, error);

        Assert.Equal(MetadataCopyCommand.Failed, exitCode);
        Assert.Contains("counts differ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Copy_MissingSourceFile_IsBadUsage()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await MetadataCopyCommand.RunAsync(
            ["--from", _temp.Combine("nothing.db"), "--Metadata:Provider", "postgres", "--Metadata:ConnectionString", "Host=127.0.0.1"], output, error);

        Assert.Equal(MetadataCopyCommand.BadUsage, exitCode);
        Assert.Contains("no such file", error.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();
}
