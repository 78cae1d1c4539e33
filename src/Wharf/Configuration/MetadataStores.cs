using Wharf.Metadata;
using Wharf.Metadata.PostgreSql;

namespace Wharf.Configuration;

/// <summary>Opens the metadata store the settings name, with its schema brought up to date: what
/// the server does at start and <c>wharf migrate</c> does alone.</summary>
public static class MetadataStores
{
    public static async Task<IMetadataStore> OpenAsync(MetadataOptions metadata, StorageOptions storage, TimeProvider time, CancellationToken cancellationToken,
        long sqlitePageCacheBytes = SqliteMetadataStore.DefaultPageCacheBytes, long sqliteReaderCacheBytes = SqliteMetadataStore.DefaultReaderCacheBytes) =>
        metadata.IsPostgres
            ? await PostgreSqlMetadataStore.OpenAsync(metadata.ConnectionString!, time, cancellationToken)
            : new SqliteMetadataStore(storage.DatabaseFile, time) { PageCacheBytes = sqlitePageCacheBytes, ReaderCacheBytes = sqliteReaderCacheBytes };

    /// <summary>Closes a store <see cref="OpenAsync"/> opened (its connection pool or file handles).</summary>
    public static async ValueTask CloseAsync(IMetadataStore store)
    {
        switch (store)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    /// <summary>The schema version (number of migrations applied) of a store <see cref="OpenAsync"/> opened.</summary>
    public static async Task<int> SchemaVersionAsync(IMetadataStore store, CancellationToken cancellationToken) => store switch
    {
        SqliteMetadataStore sqlite => sqlite.SchemaVersion,
        PostgreSqlMetadataStore postgres => await postgres.GetSchemaVersionAsync(cancellationToken),
        _ => throw new ArgumentException($"{store.GetType().Name} has no schema version", nameof(store)),
    };

    /// <summary>Where the metadata lives, for messages: never the connection string, which may hold a password.</summary>
    public static string Describe(MetadataOptions metadata, StorageOptions storage) =>
        metadata.IsPostgres ? "PostgreSQL" : $"SQLite, {storage.DatabaseFile}";

    /// <summary>Why opening failed, with the cause Npgsql wraps ("Failed to connect to ..." alone
    /// does not say whether the port was closed or the name unknown).</summary>
    public static string Reason(Exception e) =>
        e.InnerException is { } inner && !e.Message.Contains(inner.Message, StringComparison.Ordinal)
            ? $"{e.Message} ({inner.Message})"
            : e.Message;
}
