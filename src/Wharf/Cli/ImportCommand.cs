using System.Runtime.InteropServices;
using Wharf.Configuration;
using Wharf.Import;
using Wharf.Storage;
using Wharf.Storage.S3;

namespace Wharf.Cli;

/// <summary>
/// <c>wharf import &lt;root&gt;</c>: adopts a CNCF distribution (registry:2) data directory. The
/// metadata goes into the database of the configured storage; Storage:Root defaults to
/// <c>&lt;root&gt;</c> itself, so by default no blob moves and the directory becomes Wharf's root.
/// <c>wharf import s3://&lt;bucket&gt;[/&lt;prefix&gt;]</c> adopts the bucket distribution's S3 driver
/// wrote, in place: Wharf then serves that bucket (Storage:Provider s3) without copying a byte.
/// </summary>
public static class ImportCommand
{
    public const int Succeeded = 0;
    public const int Failed = 1;
    public const int BadUsage = 2;
    public const int Interrupted = 130;

    private const string Usage = """
        Usage: wharf import <root> [--Storage:Root <dir>]
               wharf import s3://<bucket>[/<prefix>] [--Storage:S3:Endpoint <url> ...]

        Adopts the data directory of a CNCF distribution registry (registry:2): reads the
        repositories, blob links, manifests and tags under <root>/docker/registry/v2 and writes
        them into Wharf's metadata database: <Storage:Root>/wharf.db, or with
        Metadata:Provider postgres the database of Metadata:ConnectionString.

        Storage:Root defaults to <root>: the blobs stay where they are and not one byte is copied.
        Then serve the same directory with:  wharf --Storage:Root <root>
        Given another Storage:Root (argument or WHARF_Storage__Root), the blobs are copied there,
        each verified against its digest.

        s3://<bucket>/<prefix> adopts a bucket written by distribution's S3 storage driver (its
        rootdirectory is the prefix), in place, with the other Storage:S3 settings (endpoint,
        region, keys, ForcePathStyle, ChecksumMode) as the server takes them. Then serve it with
        Storage:Provider s3 and the same bucket and prefix.

        Problems in the data (dangling links, corrupt or schema1 manifests, dangling tags) are
        reported as warnings and left out; the rest is imported. Safe to interrupt and to run
        again: a second run writes only what the first did not.
        Exit codes: 0 done (warnings included), 1 failed, 2 bad usage or settings, 130 interrupted.
        """;

    /// <param name="args">The arguments after <c>import</c>.</param>
    /// <param name="output">Where progress and the summary go; standard error by default.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, CancellationToken cancellationToken = default)
    {
        output ??= Console.Error;
        if (args.Length == 0 || args[0] is "-h" or "--help" || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            await output.WriteLineAsync(Usage);
            return args.Length > 0 && args[0] is "-h" or "--help" ? Succeeded : BadUsage;
        }
        if (args[0].StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            return await ImportBucketAsync(args[0], args[1..], output, cancellationToken);
        }
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(args[0]));
        var (storageOptions, metadataOptions) = ReadSettings(root, args[1..]);
        var problems = storageOptions.Validate().Concat(metadataOptions.Validate()).ToList();
        if (problems.Count > 0)
        {
            await output.WriteLineAsync("wharf import: fix these settings:");
            foreach (var problem in problems)
            {
                await output.WriteLineAsync($"  - {problem}");
            }
            return BadUsage;
        }
        if (!Directory.Exists(root))
        {
            await output.WriteLineAsync($"wharf import: {root} does not exist");
            return Failed;
        }
        var targetRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(storageOptions.Root));
        var inPlace = targetRoot == root;
        var source = new FileSystemBlobStorage(root);
        return await ImportAsync(source, inPlace ? source : new FileSystemBlobStorage(targetRoot), root,
            inPlace ? "the blobs stay where they are (in place, nothing is copied)" : $"blobs are copied into {targetRoot}",
            targetRoot, storageOptions, metadataOptions, output, cancellationToken);
    }

    // s3://bucket[/prefix]: the bucket is both the source and Wharf's storage from now on.
    private static async Task<int> ImportBucketAsync(string address, string[] settings, TextWriter output, CancellationToken cancellationToken)
    {
        var path = address["s3://".Length..];
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? path : path[..slash];
        var prefix = slash < 0 ? null : path[(slash + 1)..].Trim('/');
        var configuration = CliConfiguration.Read(settings);
        var storageOptions = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        var metadataOptions = configuration.GetSection(MetadataOptions.Section).Get<MetadataOptions>() ?? new MetadataOptions();
        storageOptions.Provider = StorageOptions.S3Provider;
        storageOptions.S3.Bucket = bucket;
        storageOptions.S3.Prefix = string.IsNullOrEmpty(prefix) ? null : prefix;
        var problems = storageOptions.Validate().Concat(metadataOptions.Validate()).ToList();
        if (bucket.Length == 0)
        {
            problems.Add($"'{address}' names no bucket: s3://<bucket>[/<prefix>]");
        }
        if (problems.Count > 0)
        {
            await output.WriteLineAsync("wharf import: fix these settings:");
            foreach (var problem in problems)
            {
                await output.WriteLineAsync($"  - {problem}");
            }
            return BadUsage;
        }
        using var bucketStorage = new S3BlobStorage(storageOptions.S3);
        return await ImportAsync(bucketStorage, bucketStorage, address, "the blobs stay in the bucket (in place, nothing is copied)",
            address, storageOptions, metadataOptions, output, cancellationToken);
    }

    private static async Task<int> ImportAsync(IBlobStorage source, IBlobStorage target, string sourceName, string placement, string targetName,
        StorageOptions storageOptions, MetadataOptions metadataOptions, TextWriter output, CancellationToken cancellationToken)
    {
        // Stop cleanly on Ctrl-C or SIGTERM: the write in flight completes, the next is not begun.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        var printer = new ImportProgressPrinter(output, TimeProvider.System);
        try
        {
            // Check the layout before opening the database, which would create wharf.db.
            if (!await new DistributionLayout(source).IsPresentAsync(stop.Token))
            {
                throw new NotADistributionLayoutException(
                    $"{sourceName} has no {StoragePaths.Root}/repositories or {StoragePaths.Root}/blobs: it is not a registry:2 data directory");
            }
            await output.WriteLineAsync($"Importing the registry:2 data in {sourceName}");
            var database = metadataOptions.IsPostgres ? "the PostgreSQL database" : storageOptions.DatabaseFile;
            await output.WriteLineAsync($"  into {database}; {placement}");
            var metadata = await MetadataStores.OpenAsync(metadataOptions, storageOptions, TimeProvider.System, stop.Token);
            try
            {
                var importer = new DistributionImporter(source, metadata, target);
                var report = await importer.ImportAsync(printer, stop.Token);
                ImportSummary.Write(output, report, targetName);
                return Succeeded;
            }
            finally
            {
                await MetadataStores.CloseAsync(metadata);
            }
        }
        catch (NotADistributionLayoutException e)
        {
            await output.WriteLineAsync($"wharf import: {e.Message}");
            return Failed;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await output.WriteLineAsync($"wharf import: interrupted after {printer.RepositoriesDone} of {printer.RepositoriesTotal} repositories; " +
                "what was imported stays, and running the same command again completes the rest");
            return Interrupted;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException)
        {
            await output.WriteLineAsync($"wharf import: failed: {MetadataStores.Reason(e)}");
            await output.WriteLineAsync("  what was imported so far stays; fix the cause and run the same command again");
            return Failed;
        }
    }

    // The server's configuration sources (Program.cs, --config included), with <root> in place of
    // the built-in default root, so that a plain `wharf import <root>` adopts <root> and a
    // configured root still wins.
    private static (StorageOptions Storage, MetadataOptions Metadata) ReadSettings(string root, string[] settings)
    {
        var defaults = new Dictionary<string, string?>(WharfDefaults.Settings)
        {
            [$"{StorageOptions.Section}:{nameof(StorageOptions.Root)}"] = root,
        };
        var configuration = CliConfiguration.Read(settings, defaults);
        return (configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions { Root = root },
            configuration.GetSection(MetadataOptions.Section).Get<MetadataOptions>() ?? new MetadataOptions());
    }
}
