using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Wharf.Metadata.PostgreSql.Tests;

/// <summary>
/// One throw-away PostgreSQL cluster for the whole test run, started by <c>scripts/postgres</c>
/// and shared by every test class in the <see cref="PostgresCollection"/>. Each test takes a
/// fresh schema of its own (<see cref="CreateSchemaAsync"/>): an empty store in a millisecond
/// instead of a new database or cluster. When PostgreSQL is missing, starting fails and so does
/// every test that needs it: a missing engine must not pass as a green run.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string _script;
    private readonly string _directory;
    private readonly NpgsqlDataSource _admin;

    public PostgresServer()
    {
        _script = Path.Combine(RepositoryRoot(), "scripts", "postgres");
        _directory = Path.Combine(Path.GetTempPath(), "wharf-pg-tests-" + Guid.NewGuid().ToString("N"));
        var output = RunScript("start", _directory, FreePort().ToString());
        var serverConnectionString = output.Trim().Split('\n')[^1];
        // The tests run in a database whose default collation is linguistic (ICU en-US, where
        // "alpha" sorts before "Zeta"): the contract's byte-wise orderings then prove that the
        // schema's COLLATE "C" columns, not the database's locale, decide the order.
        using (var server = NpgsqlDataSource.Create(serverConnectionString))
        using (var create = server.CreateCommand(
            "CREATE DATABASE wharf_tests TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"))
        {
            create.ExecuteNonQuery();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = "wharf_tests" }.ConnectionString;
        _admin = NpgsqlDataSource.Create(ConnectionString);
    }

    /// <summary>The test database, with the default search path.</summary>
    public string ConnectionString { get; }

    /// <summary>A new, empty schema; the connection string returned works in it alone.</summary>
    public async Task<string> CreateSchemaAsync()
    {
        var schema = "test_" + Guid.NewGuid().ToString("N");
        await using (var command = _admin.CreateCommand($"CREATE SCHEMA {schema}"))
        {
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema }.ConnectionString;
    }

    /// <summary>Runs SQL as the superuser in the test database (roles, grants).</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var command = _admin.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public void Dispose()
    {
        _admin.Dispose();
        RunScript("stop", _directory);
    }

    private string RunScript(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(_script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"scripts/postgres {string.Join(' ', arguments)} failed with exit code {process.ExitCode} " +
                $"(is Debian's postgresql package installed? `bash .ci/run` installs it):\n{stderr.Result}");
        }
        return stdout;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Wharf.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"no Wharf.slnx above {AppContext.BaseDirectory}");
    }
}

/// <summary>Every test class that needs PostgreSQL joins this collection, so the cluster starts once.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
