using Wharf.Core.Tests.Metadata;

namespace Wharf.Metadata.PostgreSql.Tests;

/// <summary>Runs the whole <see cref="IMetadataStore"/> contract against PostgreSQL, each test in
/// a fresh schema of the shared test cluster.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlMetadataStoreTests(PostgresServer server) : MetadataStoreContract, IAsyncLifetime
{
    private PostgreSqlMetadataStore? _store;

    protected override IMetadataStore Store => _store ?? throw new InvalidOperationException("the store opens in InitializeAsync");

    public async Task InitializeAsync()
    {
        _store = await PostgreSqlMetadataStore.OpenAsync(await server.CreateSchemaAsync(), null, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }
}
