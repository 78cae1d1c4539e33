using Wharf.Configuration;
using Wharf.Metadata;

namespace Wharf.Cli;

/// <summary>
/// <c>wharf metadata copy --from &lt;wharf.db&gt;</c>: copies an SQLite metadata store into the
/// configured one (PostgreSQL, when a registry moves up to several replicas), then checks that
/// the target holds as many repositories, links, manifests and tags as the source.
/// </summary>
public static class MetadataCopyCommand
{
    public const int Succeeded = 0;
    public const int Failed = 1;
    public const int BadUsage = 2;

    private const string Usage = """
        Usage: wharf metadata copy --from <wharf.db> [--config <file.yaml>] [--Metadata:Provider postgres --Metadata:ConnectionString <...>]

        Copies the repositories, blob links, manifests and tags of the SQLite metadata file
        <wharf.db> into the metadata store the settings name (as the server reads them), and
        checks the counts at the end. Blobs are not touched: point the new store at the same
        storage. Stop the registry (or make it read-only) first, so the source does not change.
        Every write is idempotent: an interrupted copy is simply run again.
        Exit codes: 0 copied and verified, 1 failed or counts differ, 2 bad usage or settings.
        """;

    /// <param name="args">The arguments after <c>metadata copy</c>.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        if (args is ["-h" or "--help", ..])
        {
            await output.WriteLineAsync(Usage);
            return Succeeded;
        }
        var fromIndex = Array.IndexOf(args, "--from");
        if (fromIndex < 0 || fromIndex == args.Length - 1)
        {
            await error.WriteLineAsync(Usage);
            return BadUsage;
        }
        var sourceFile = Path.GetFullPath(args[fromIndex + 1]);
        var settings = args.Where((_, i) => i != fromIndex && i != fromIndex + 1).ToArray();
        StorageOptions storage;
        MetadataOptions metadata;
        List<string> problems;
        try
        {
            (storage, metadata, problems) = CliConfiguration.ReadStores(settings);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or FormatException)
        {
            await error.WriteLineAsync($"wharf metadata copy: cannot read the configuration: {e.Message}");
            return BadUsage;
        }
        if (!File.Exists(sourceFile))
        {
            problems.Add($"--from {sourceFile}: no such file");
        }
        else if (!metadata.IsPostgres && Path.GetFullPath(storage.DatabaseFile) == sourceFile)
        {
            problems.Add("the source and the target are the same SQLite file; set Metadata:Provider and Metadata:ConnectionString for the target");
        }
        if (problems.Count > 0)
        {
            await CliConfiguration.WriteProblemsAsync("metadata copy", problems, error);
            return BadUsage;
        }

        var where = MetadataStores.Describe(metadata, storage);
        try
        {
            using var source = SqliteMetadataStore.OpenReadOnly(sourceFile);
            var target = await MetadataStores.OpenAsync(metadata, storage, TimeProvider.System, cancellationToken);
            try
            {
                await output.WriteLineAsync($"Copying {sourceFile} into {where}");
                var copied = 0;
                var result = await MetadataCopy.CopyAsync(source, target, repository =>
                {
                    if (++copied % 100 == 0)
                    {
                        output.WriteLine($"  {copied} repositories ({repository.Repository})");
                    }
                }, cancellationToken);
                await output.WriteLineAsync(
                    $"Copied {result.Repositories} repositories, {result.Links} blob links, {result.Manifests} manifests, {result.Tags} tags");
                await output.WriteLineAsync($"  source: {Describe(result.Source)}");
                await output.WriteLineAsync($"  target: {Describe(result.Target)}");
                if (!result.Verified)
                {
                    await error.WriteLineAsync("wharf metadata copy: the counts differ (was the target empty, and the source stopped?)");
                    return Failed;
                }
                await output.WriteLineAsync("Verified: the target holds exactly the source's repositories, links, manifests and tags");
                return Succeeded;
            }
            finally
            {
                await MetadataStores.CloseAsync(target);
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException)
        {
            await error.WriteLineAsync($"wharf metadata copy: failed ({where}): {MetadataStores.Reason(e)}");
            return Failed;
        }
    }

    private static string Describe(MetadataCounts counts) =>
        $"{counts.Repositories} repositories, {counts.Blobs} blobs, {counts.BlobLinks} links, {counts.Manifests} manifests, {counts.Tags} tags";
}
