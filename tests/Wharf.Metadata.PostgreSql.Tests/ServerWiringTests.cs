using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Auth;
using Wharf.Cli;
using Wharf.Configuration;

namespace Wharf.Metadata.PostgreSql.Tests;

/// <summary>The server with <c>Metadata:Provider postgres</c>: the start-up check opens and
/// migrates the database, and <c>wharf migrate</c> does the same alone.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ServerWiringTests(PostgresServer server) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wharf-pg-wiring-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task StartupCheck_PostgresProvider_OpensTheMigratedPostgreSqlStore()
    {
        var connectionString = await server.CreateSchemaAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Root"] = _root,
            ["Metadata:Provider"] = "postgres",
            ["Metadata:ConnectionString"] = connectionString,
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWharf(configuration);
        services.AddWharfAuth(configuration);
        await using var provider = services.BuildServiceProvider();

        var problems = StartupCheck.Run(provider);

        Assert.Empty(problems);
        var store = Assert.IsType<PostgreSqlMetadataStore>(provider.GetRequiredService<IMetadataStore>());
        Assert.Equal(PostgreSqlSchema.Migrations.Length, await store.GetSchemaVersionAsync(CancellationToken.None));
        Assert.False(File.Exists(Path.Combine(_root, "wharf.db")));
    }

    [Fact]
    public async Task MigrateCommand_PostgresProvider_MigratesAndPrintsTheVersion()
    {
        var connectionString = await server.CreateSchemaAsync();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await MigrateCommand.RunAsync(
            ["--Metadata:Provider", "postgres", "--Metadata:ConnectionString", connectionString], output, error);

        Assert.True(exitCode == MigrateCommand.Succeeded, error.ToString());
        Assert.Equal($"Metadata schema at version {PostgreSqlSchema.Migrations.Length} (PostgreSQL)", output.ToString().Trim());
        await using var store = new PostgreSqlMetadataStore(connectionString);
        Assert.Equal(PostgreSqlSchema.Migrations.Length, await store.GetSchemaVersionAsync(CancellationToken.None));
    }
}
