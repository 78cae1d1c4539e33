using Wharf.Configuration;

namespace Wharf.Cli;

/// <summary>
/// <c>wharf migrate</c>: brings the configured metadata database (SQLite or PostgreSQL) to the
/// schema this Wharf needs, prints the version, and exits. The server does the same at start;
/// this lets a deployment migrate once, before rolling out replicas.
/// </summary>
public static class MigrateCommand
{
    public const int Succeeded = 0;
    public const int Failed = 1;
    public const int BadUsage = 2;

    private const string Usage = """
        Usage: wharf migrate [--config <file.yaml>] [--Metadata:Provider postgres --Metadata:ConnectionString <...>] [--Storage:Root <dir>]

        Applies the schema migrations the metadata database lacks, then prints its schema version.
        Reads the same settings as the server (YAML file, WHARF_ environment variables, arguments):
        Metadata:Provider sqlite (default) migrates <Storage:Root>/wharf.db; postgres migrates the
        database of Metadata:ConnectionString. Safe to run while replicas start or serve.
        Exit codes: 0 done, 1 failed, 2 bad usage or settings.
        """;

    /// <param name="args">The arguments after <c>migrate</c>.</param>
    /// <param name="output">Where the result goes; standard output by default (errors to standard error).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        if (args is ["-h" or "--help", ..])
        {
            await output.WriteLineAsync(Usage);
            return Succeeded;
        }
        StorageOptions storage;
        MetadataOptions metadata;
        try
        {
            List<string> problems;
            (storage, metadata, problems) = CliConfiguration.ReadStores(args);
            if (problems.Count > 0)
            {
                await CliConfiguration.WriteProblemsAsync("migrate", problems, error);
                return BadUsage;
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or FormatException)
        {
            await error.WriteLineAsync($"wharf migrate: cannot read the configuration: {e.Message}");
            return BadUsage;
        }

        var where = MetadataStores.Describe(metadata, storage);
        try
        {
            var store = await MetadataStores.OpenAsync(metadata, storage, TimeProvider.System, cancellationToken);
            try
            {
                var version = await MetadataStores.SchemaVersionAsync(store, cancellationToken);
                await output.WriteLineAsync($"Metadata schema at version {version} ({where})");
                return Succeeded;
            }
            finally
            {
                await MetadataStores.CloseAsync(store);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException)
        {
            await error.WriteLineAsync($"wharf migrate: cannot migrate the metadata database ({where}): {MetadataStores.Reason(e)}");
            return Failed;
        }
    }
}
