using Wharf.Core.Tests.Gc;
using Wharf.Core.Tests.TestSupport;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Metadata.PostgreSql.Tests;

/// <summary>Garbage collection with its metadata in PostgreSQL: the same contract as on SQLite.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlGarbageCollectorTests(PostgresServer server) : GarbageCollectorContract, IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private PostgreSqlMetadataStore? _store;
    private FileSystemBlobStorage? _storage;

    protected override IMetadataStore Store => _store!;

    protected override IBlobStorage Storage => _storage!;

    public async Task InitializeAsync()
    {
        _store = await PostgreSqlMetadataStore.OpenAsync(await server.CreateSchemaAsync(), Time, CancellationToken.None);
        _storage = new FileSystemBlobStorage(_temp.Combine("storage"));
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
        _temp.Dispose();
    }
}
