using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Auth;
using Wharf.Configuration;

namespace Wharf.Metadata.PostgreSql.Tests;

/// <summary>The built-in token service on PostgreSQL without a configured key: every replica signs
/// with the one key the first of them stored in the database, so a token from one is good at all.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SharedTokenKeyTests(PostgresServer server) : IDisposable
{
    private readonly List<string> _roots = [];

    [Fact]
    public async Task TokenService_TwoReplicasWithOwnStorageRoots_AcceptEachOthersTokens()
    {
        var connectionString = await server.CreateSchemaAsync();
        await using var first = Replica(connectionString);
        await using var second = Replica(connectionString);
        var issuer = first.GetRequiredService<TokenService>();
        var validator = second.GetRequiredService<TokenService>();

        var token = issuer.Issue("alice", []);

        var caller = await validator.ValidateAsync(token.Token);
        Assert.NotNull(caller);
        Assert.False(_roots.Exists(root => File.Exists(Path.Combine(root, "token-signing-key.pem"))),
            "on PostgreSQL the generated key belongs in the database, not in a replica's directory");
    }

    private ServiceProvider Replica(string connectionString)
    {
        var root = Path.Combine(Path.GetTempPath(), "wharf-pg-token-" + Guid.NewGuid().ToString("N"));
        _roots.Add(root);
        Directory.CreateDirectory(root);
        // alice:secret (bcrypt); the built-in service signs in users from an htpasswd file.
        var htpasswd = Path.Combine(root, "htpasswd");
        File.WriteAllText(htpasswd, "alice:" + BCrypt.Net.BCrypt.HashPassword("secret", 4) + "\n");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Root"] = root,
            ["Metadata:Provider"] = "postgres",
            ["Metadata:ConnectionString"] = connectionString,
            ["Auth:Mode"] = "token",
            ["Auth:Htpasswd"] = htpasswd,
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWharf(configuration);
        services.AddWharfAuth(configuration);
        return services.BuildServiceProvider();
    }

    public void Dispose()
    {
        foreach (var root in _roots.Where(Directory.Exists))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
