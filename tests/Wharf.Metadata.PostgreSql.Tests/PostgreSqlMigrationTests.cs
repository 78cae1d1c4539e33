using Npgsql;

namespace Wharf.Metadata.PostgreSql.Tests;

/// <summary>Versioned migrations: recorded once, idempotent, and safe when several replicas start
/// against the same fresh database at once.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlMigrationTests(PostgresServer server)
{
    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task GetSchemaVersionAsync_EmptySchema_IsZero()
    {
        await using var store = new PostgreSqlMetadataStore(await server.CreateSchemaAsync());

        Assert.Equal(0, await store.GetSchemaVersionAsync(Ct));
    }

    [Fact]
    public async Task MigrateAsync_EmptySchema_RecordsEachMigrationOnce()
    {
        var connectionString = await server.CreateSchemaAsync();
        await using var store = new PostgreSqlMetadataStore(connectionString);

        var version = await store.MigrateAsync(Ct);

        Assert.Equal(PostgreSqlSchema.Migrations.Length, version);
        Assert.Equal(PostgreSqlSchema.Migrations.Length, await store.GetSchemaVersionAsync(Ct));
        Assert.Equal(Enumerable.Range(1, PostgreSqlSchema.Migrations.Length), await RecordedVersionsAsync(connectionString));
    }

    [Fact]
    public async Task MigrateAsync_AlreadyMigrated_AppliesNothingAndKeepsData()
    {
        var connectionString = await server.CreateSchemaAsync();
        await using var store = await PostgreSqlMetadataStore.OpenAsync(connectionString, null, Ct);
        await store.LinkBlobAsync(Distribution.RepositoryName.Parse("a"), Core.Tests.TestSupport.TestDigests.Sha256Of("1"), 9, Ct);

        var version = await store.MigrateAsync(Ct);

        Assert.Equal(PostgreSqlSchema.Migrations.Length, version);
        Assert.Equal(Enumerable.Range(1, PostgreSqlSchema.Migrations.Length), await RecordedVersionsAsync(connectionString));
        Assert.Equal(9, await store.GetBlobSizeAsync(Core.Tests.TestSupport.TestDigests.Sha256Of("1"), Ct));
    }

    [Fact]
    public async Task OpenAsync_SeveralReplicasOnOneFreshSchemaAtOnce_AllSucceed()
    {
        var connectionString = await server.CreateSchemaAsync();

        var stores = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            Task.Run(() => PostgreSqlMetadataStore.OpenAsync(connectionString, null, Ct))));
        try
        {
            foreach (var store in stores)
            {
                Assert.Equal(PostgreSqlSchema.Migrations.Length, await store.GetSchemaVersionAsync(Ct));
            }
            Assert.Equal(Enumerable.Range(1, PostgreSqlSchema.Migrations.Length), await RecordedVersionsAsync(connectionString));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task OpenAsync_MigratedSchemaAndRoleWithoutCreateRights_OpensAndWrites()
    {
        // A deployment may migrate with an owner role (`wharf migrate`) and serve with a role
        // that may only read and write rows: opening an up-to-date schema must not need DDL.
        var connectionString = await server.CreateSchemaAsync();
        await (await PostgreSqlMetadataStore.OpenAsync(connectionString, null, Ct)).DisposeAsync();
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var role = "app_" + Guid.NewGuid().ToString("N");
        await server.ExecuteAsync($"""
            CREATE ROLE {role} LOGIN;
            GRANT USAGE ON SCHEMA {builder.SearchPath} TO {role};
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {builder.SearchPath} TO {role};
            """);
        builder.Username = role;

        await using var store = await PostgreSqlMetadataStore.OpenAsync(builder.ConnectionString, null, Ct);
        var repository = Distribution.RepositoryName.Parse("a");
        var manifest = new ManifestRecord(Core.Tests.TestSupport.TestDigests.Sha256Of("m"), Distribution.MediaTypes.OciManifest, 10);
        await store.PutManifestAsync(repository, manifest, [], ["latest"], Ct);

        Assert.Equal(manifest, await store.GetManifestAsync(repository, Distribution.Reference.Parse("latest"), Ct));
        await using var tooWeakToMigrate = new PostgreSqlMetadataStore(
            new NpgsqlConnectionStringBuilder(await server.CreateSchemaAsync()) { Username = role }.ConnectionString);
        await Assert.ThrowsAsync<PostgresException>(() => tooWeakToMigrate.MigrateAsync(Ct));
    }

    [Fact]
    public async Task OpenAsync_FreshDatabase_CreatesTheSchemaOnTheDefaultSearchPath()
    {
        var database = "fresh_" + Guid.NewGuid().ToString("N");
        await using (var admin = NpgsqlDataSource.Create(server.ConnectionString))
        await using (var create = admin.CreateCommand($"CREATE DATABASE {database}"))
        {
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database }.ConnectionString;

        await using var store = await PostgreSqlMetadataStore.OpenAsync(connectionString, null, Ct);

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var query = dataSource.CreateCommand("SELECT count(*) FROM public.repositories");
        Assert.Equal(0L, await query.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task OpenAsync_NoServerListening_ThrowsNpgsqlException()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Port = 1, Timeout = 5 }.ConnectionString;

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => PostgreSqlMetadataStore.OpenAsync(connectionString, null, Ct));
    }

    private static async Task<List<int>> RecordedVersionsAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand("SELECT version FROM schema_migrations ORDER BY version");
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var versions = new List<int>();
        while (await reader.ReadAsync(Ct))
        {
            versions.Add(reader.GetInt32(0));
        }
        return versions;
    }
}
