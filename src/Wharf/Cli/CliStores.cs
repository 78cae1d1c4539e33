using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Metadata.PostgreSql;
using Wharf.Registry;
using Wharf.Storage;
using Wharf.Storage.S3;

namespace Wharf.Cli;

/// <summary>The settings a maintenance verb (gc, scrub) reads, as the server reads them.</summary>
internal sealed record CliSettings(StorageOptions Storage, MetadataOptions Metadata, GcOptions Gc, List<string> Problems);

/// <summary>The stores a maintenance verb works on: the server's metadata store and blob storage,
/// and, on PostgreSQL, the channel through which running replicas hear what it changed.</summary>
internal sealed class CliStores : IAsyncDisposable
{
    private PostgreSqlReplicaChanges? _changes;
    private CancellationTokenSource? _listening;
    private Task? _listener;

    private CliStores(IMetadataStore metadata, IBlobStorage storage)
    {
        Metadata = metadata;
        Storage = storage;
    }

    public IMetadataStore Metadata { get; }
    public IBlobStorage Storage { get; }

    /// <summary>The settings, or null when the configuration cannot be read (the reason is printed).</summary>
    public static CliSettings? Read(string[] args)
    {
        try
        {
            var configuration = CliConfiguration.Read(args);
            var (storage, metadata, problems) = CliConfiguration.ReadStores(configuration, storageAlwaysMatters: true);
            var gc = configuration.GetSection(GcOptions.Section).Get<GcOptions>() ?? new GcOptions();
            problems.AddRange(gc.Validate());
            return new CliSettings(storage, metadata, gc, problems);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            Console.Error.WriteLine($"wharf: cannot read the configuration: {e.Message}");
            return null;
        }
    }

    public static async Task<CliStores> OpenAsync(CliSettings settings, CancellationToken cancellationToken)
    {
        var metadata = await MetadataStores.OpenAsync(settings.Metadata, settings.Storage, TimeProvider.System, cancellationToken);
        return new CliStores(metadata, BlobStorages.Open(settings.Storage));
    }

    /// <summary>How to tell running replicas what this process changes, so their caches drop it:
    /// on PostgreSQL the replicas' own channel (listened to for as long as the verb runs), else
    /// nobody (a single server on SQLite re-reads what it caches within seconds).</summary>
    public async Task<IReplicaChanges> StartChangesAsync(CancellationToken cancellationToken)
    {
        if (Metadata is not PostgreSqlMetadataStore postgres)
        {
            return new SingleProcessChanges();
        }
        _changes = await postgres.CreateReplicaChangesAsync(null, cancellationToken);
        _listening = new CancellationTokenSource();
        _listener = _changes.RunAsync(_listening.Token);
        return _changes;
    }

    public static bool IsStoreFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or Amazon.Runtime.AmazonClientException;

    public async ValueTask DisposeAsync()
    {
        if (_listening is not null)
        {
            await _listening.CancelAsync();
            try
            {
                await _listener!;
            }
            catch (OperationCanceledException)
            {
            }
            _listening.Dispose();
            await _changes!.DisposeAsync();
        }
        (Storage as IDisposable)?.Dispose();
        await MetadataStores.CloseAsync(Metadata);
    }
}
