using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Auth;
using Wharf.Tests.Auth;
using Wharf.Cli;
using Wharf.Configuration;
using Wharf.Tests.Import;

namespace Wharf.Tests.Configuration;

/// <summary>Metadata:Provider and Metadata:ConnectionString: checked at start with every other
/// setting, and <c>wharf migrate</c>. PostgreSQL itself is exercised by
/// tests/Wharf.Metadata.PostgreSql.Tests; here no server is needed.</summary>
public sealed class MetadataSettingsTests : IDisposable
{
    // Nothing listens on port 1, so a connection is refused at once.
    private const string UnreachableServer = "Host=127.0.0.1;Port=1;Username=wharf;Password=s3cret-pw;Database=wharf;Timeout=5";

    private readonly TempDir _directory = new();

    public void Dispose()
    {
        Wharf.Tests.Api.SqlitePools.ReleaseUnder(_directory.FullPath);
        _directory.Dispose();
    }

    private IReadOnlyList<string> Check(params (string Key, string? Value)[] settings) =>
        Wharf.Tests.Configuration.StartupChecks.Run(_directory.Combine("data"), settings);

    [Theory]
    [InlineData(null)]
    [InlineData("sqlite")]
    [InlineData("SQLite")]
    public void Run_SqliteProvider_NoProblemsAndDatabaseFileCreated(string? provider)
    {
        var problems = Check(("Metadata:Provider", provider));

        Assert.Empty(problems);
        Assert.True(File.Exists(_directory.Combine("data", "wharf.db")));
    }

    [Fact]
    public void Run_UnknownProvider_ProblemNamesTheChoices()
    {
        var problems = Check(("Metadata:Provider", "mysql"));

        var problem = Assert.Single(problems);
        Assert.Contains("Metadata:Provider 'mysql'", problem, StringComparison.Ordinal);
        Assert.Contains("postgres", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_PostgresWithoutConnectionString_Problem()
    {
        var problems = Check(("Metadata:Provider", "postgres"));

        Assert.Contains(problems, p => p.Contains("Metadata:ConnectionString is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_ConnectionStringWithoutPostgresProvider_Problem()
    {
        var problems = Check(("Metadata:ConnectionString", UnreachableServer));

        Assert.Contains(problems, p => p.Contains("Metadata:Provider", StringComparison.Ordinal) && p.Contains("postgres", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_MalformedConnectionString_ProblemWithoutThePassword()
    {
        var problems = Check(("Metadata:Provider", "postgres"), ("Metadata:ConnectionString", "Host=db;Password=s3cret-pw;Colour=blue"));

        var problem = Assert.Single(problems);
        Assert.Contains("Metadata:ConnectionString is not a valid", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_PostgresServerUnreachable_ProblemNamesTheSettingWithoutThePassword()
    {
        var problems = Check(("Metadata:Provider", "postgres"), ("Metadata:ConnectionString", UnreachableServer));

        var problem = Assert.Single(problems);
        Assert.Contains("Metadata:ConnectionString: cannot open the PostgreSQL database", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_BadMetadataAndOtherSettings_AllListedAtOnce()
    {
        var problems = Check(("Metadata:Provider", "postgres"), ("Limits:MaxConcurrentUploadsPerClient", "0"));

        Assert.Contains(problems, p => p.Contains("Metadata:ConnectionString", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Limits:MaxConcurrentUploadsPerClient", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MigrateCommand_SqliteRoot_CreatesDatabaseAndPrintsVersion()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await MigrateCommand.RunAsync(["--Storage:Root", _directory.Combine("data")], output, error);

        Assert.Equal(MigrateCommand.Succeeded, exitCode);
        Assert.Matches(@"^Metadata schema at version [1-9][0-9]* \(SQLite, .*wharf\.db\)", output.ToString());
        Assert.True(File.Exists(_directory.Combine("data", "wharf.db")));
    }

    [Fact]
    public async Task MigrateCommand_UnknownProvider_BadUsage()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await MigrateCommand.RunAsync(["--Metadata:Provider", "oracle"], output, error);

        Assert.Equal(MigrateCommand.BadUsage, exitCode);
        Assert.Contains("Metadata:Provider 'oracle'", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateCommand_PostgresServerUnreachable_FailsWithoutThePassword()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await MigrateCommand.RunAsync(["--Metadata:Provider", "postgres", "--Metadata:ConnectionString", UnreachableServer], output, error);

        Assert.Equal(MigrateCommand.Failed, exitCode);
        Assert.Contains("cannot migrate the metadata database (PostgreSQL)", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImportCommand_PostgresWithoutConnectionString_BadUsageBeforeReadingTheRoot()
    {
        using var output = new StringWriter();

        var exitCode = await ImportCommand.RunAsync([_directory.Combine("registry"), "--Metadata:Provider", "postgres"], output);

        Assert.Equal(ImportCommand.BadUsage, exitCode);
        Assert.Contains("Metadata:ConnectionString is required", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Executable_Migrate_ExitCode0AndVersionOnStdout()
    {
        var result = await WharfCli.RunAsync(null, "migrate", "--Storage:Root", _directory.Combine("data"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Metadata schema at version", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Executable_PostgresWithoutConnectionString_ExitCode2AndProblemOnStderr()
    {
        var result = await WharfCli.RunAsync(null,
            "--urls", "http://127.0.0.1:0",
            "--Storage:Root", _directory.Combine("data"),
            "--Metadata:Provider", "postgres");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Metadata:ConnectionString is required", result.StdErr, StringComparison.Ordinal);
    }
}
