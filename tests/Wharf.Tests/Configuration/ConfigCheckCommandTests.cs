using Wharf.Cli;
using Wharf.Tests.Auth;
using Wharf.Tests.Import;
using Xunit.Abstractions;

namespace Wharf.Tests.Configuration;

/// <summary><c>wharf config check &lt;file&gt;</c>: the settings in effect, secrets hidden, warnings, problems, exit code.</summary>
public sealed class ConfigCheckCommandTests(ITestOutputHelper output) : IDisposable
{
    private static readonly Dictionary<string, string> NoEnvironment = [];
    private readonly TempDir _directory = new("wharf-config-check-");

    public void Dispose() => _directory.Dispose();

    private string Write(string name, string text)
    {
        var path = _directory.Combine(name);
        File.WriteAllText(path, text);
        return path;
    }

    private async Task<(int ExitCode, string Output, string Error)> CheckAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await ConfigCheckCommand.RunAsync(args, stdout, stderr, environment ?? NoEnvironment);
        output.WriteLine($"exit {exitCode}\n{stdout}{stderr}");
        return (exitCode, stdout.ToString(), stderr.ToString());
    }

    private static List<string> SettingLines(string text) =>
        text.Split('\n').SkipWhile(l => l != "Settings in effect:").Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal))
            .Select(l => l.Trim()).ToList();

    [Fact]
    public async Task Check_DistributionFile_PrintsSettingsSortedAndTheWarning()
    {
        var htpasswd = Write("htpasswd", TestUsers.HtpasswdLine("alice", "secret-a") + "\n");
        var file = Write("config.yml", $"""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: {_directory.Combine("data")}
              delete:
                enabled: true
            http:
              addr: :5000
            auth:
              htpasswd:
                realm: basic-realm
                path: {htpasswd}
            redis:
              addr: localhost:6379
            """);

        var (exitCode, text, _) = await CheckAsync(null, file);

        Assert.Equal(ConfigCheckCommand.Valid, exitCode);
        Assert.StartsWith($"{file}: CNCF distribution (registry:2) format", text, StringComparison.Ordinal);
        var settings = SettingLines(text);
        Assert.Equal(settings.Order(StringComparer.OrdinalIgnoreCase), settings);
        Assert.Contains($"Auth:Htpasswd = {htpasswd}", settings);
        Assert.Contains("Auth:Mode = Htpasswd", settings);
        Assert.Contains("Auth:Realm = basic-realm", settings);
        Assert.Contains($"Storage:Root = {_directory.Combine("data")}", settings);
        Assert.Contains("Storage:Delete:Enabled = true", settings);
        Assert.Contains("urls = http://0.0.0.0:5000", settings);
        Assert.Contains("  - these distribution settings have no meaning in Wharf and are ignored: redis", text, StringComparison.Ordinal);
        Assert.Contains("Problems: none", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_Secrets_Hidden()
    {
        var file = Write("config.yml", """
            version: 0.1
            storage:
              s3:
                bucket: images
                accesskey: AKIAVISIBLE
                secretkey: s3-secret-value
            notifications:
              endpoints:
                - name: hook
                  url: https://hooks.example.com/
                  headers:
                    Authorization: [Bearer header-secret-value]
            """);

        var (_, text, _) = await CheckAsync(null, file, "--Metadata:ConnectionString", "Host=db;Password=db-secret-value;Database=wharf",
            "--Auth:Token:SigningKey", "/keys/signing.pem");

        Assert.DoesNotContain("secret-value", text, StringComparison.Ordinal);
        var settings = SettingLines(text);
        Assert.Contains("Storage:S3:AccessKey = AKIAVISIBLE", settings);
        Assert.Contains($"Storage:S3:SecretKey = {ConfigCheckCommand.Hidden}", settings);
        Assert.Contains($"Notifications:Endpoints:0:Headers:Authorization:0 = {ConfigCheckCommand.Hidden}", settings);
        Assert.Contains($"Metadata:ConnectionString = Host=db;Password={ConfigCheckCommand.Hidden};Database=wharf", settings);
        Assert.Contains($"Auth:Token:SigningKey = {ConfigCheckCommand.Hidden}", settings);
    }

    [Theory]
    [InlineData("Storage:S3:SecretKey", "x", ConfigCheckCommand.Hidden)]
    [InlineData("Auth:Token:SigningKey", "/k.pem", ConfigCheckCommand.Hidden)]
    [InlineData("Some:Password", "x", ConfigCheckCommand.Hidden)]
    [InlineData("Some:ClientSecret", "x", ConfigCheckCommand.Hidden)]
    [InlineData("Some:AccessToken", "x", ConfigCheckCommand.Hidden)]
    [InlineData("Http:Headers:Authorization:0", "Basic eA==", ConfigCheckCommand.Hidden)]
    [InlineData("Metadata:ConnectionString", "Host=a;pwd='x;y';Username=u", "Host=a;pwd=" + ConfigCheckCommand.Hidden + ";Username=u")]
    [InlineData("Storage:S3:AccessKey", "AKIA", "AKIA")]
    [InlineData("Http:Headers:X-Content-Type-Options:0", "nosniff", "nosniff")]
    [InlineData("Auth:Token:Realm", "https://auth/token", "https://auth/token")]
    public void Mask_Key_HidesCredentialsOnly(string key, string value, string shown) =>
        Assert.Equal(shown, ConfigCheckCommand.Mask(key, value));

    [Fact]
    public async Task Check_FilesTheSettingsNameMissing_ProblemsAndExitOne()
    {
        var file = Write("config.yml", $"""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: {_directory.Combine("data")}
            http:
              addr: :5443
              tls:
                certificate: {_directory.Combine("missing.crt")}
                key: {_directory.Combine("missing.key")}
            auth:
              htpasswd:
                realm: basic-realm
                path: {_directory.Combine("missing-htpasswd")}
            """);

        var (exitCode, text, _) = await CheckAsync(null, file);

        Assert.Equal(ConfigCheckCommand.HasProblems, exitCode);
        Assert.Contains($"  - Auth:Htpasswd: {_directory.Combine("missing-htpasswd")} does not exist", text, StringComparison.Ordinal);
        Assert.Contains($"  - Tls: {_directory.Combine("missing.crt")} does not exist", text, StringComparison.Ordinal);
        Assert.Contains($"  - Tls: {_directory.Combine("missing.key")} does not exist", text, StringComparison.Ordinal);
        Assert.Contains("3 problems: the server would not start.", text, StringComparison.Ordinal);
        Assert.Contains("urls = https://0.0.0.0:5443", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_SettingWharfCannotFollow_ProblemAndExitOne()
    {
        var file = Write("config.yml", """
            version: 0.1
            storage:
              azure:
                accountname: a
            """);

        var (exitCode, text, _) = await CheckAsync(null, file);

        Assert.Equal(ConfigCheckCommand.HasProblems, exitCode);
        Assert.Contains("  - storage.azure: Wharf keeps blobs in a directory", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ValueNotOfItsType_ProblemAndExitOne()
    {
        var file = Write("wharf.yaml", $"""
            Storage:
              Root: {_directory.Combine("data")}
              ReadOnly: maybe
            """);

        var (exitCode, text, _) = await CheckAsync(null, file);

        Assert.Equal(ConfigCheckCommand.HasProblems, exitCode);
        Assert.Contains("maybe", text.Split("Problems:")[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_RegistryVariables_AppliedToADistributionFile()
    {
        var file = Write("config.yml", """
            version: 0.1
            storage:
              filesystem:
                rootdirectory: /from/file
            """);

        var (exitCode, text, _) = await CheckAsync(new Dictionary<string, string>
        {
            ["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"] = _directory.Combine("from-env"),
            ["REGISTRY_HTTP_ADDR"] = "127.0.0.1:7000",
        }, file);

        Assert.Equal(ConfigCheckCommand.Valid, exitCode);
        Assert.Contains($"Storage:Root = {_directory.Combine("from-env")}", SettingLines(text));
        Assert.Contains("urls = http://127.0.0.1:7000", SettingLines(text));
        Assert.Contains("Warnings: none", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WharfFile_SettingsAsWrittenWithArgumentsOverThem()
    {
        var file = Write("wharf.yaml", $"""
            Storage:
              Root: {_directory.Combine("data")}
            Limits:
              UploadSessionMaxAge: "2.00:00:00"
            """);

        var (exitCode, text, _) = await CheckAsync(null, file, "--Limits:UploadSessionMaxAge", "03:00:00");

        Assert.Equal(ConfigCheckCommand.Valid, exitCode);
        Assert.StartsWith($"{file}: Wharf format", text, StringComparison.Ordinal);
        Assert.Contains("Limits:UploadSessionMaxAge = 03:00:00", SettingLines(text));
        Assert.DoesNotContain(SettingLines(text), l => l.StartsWith("Wharf:ConfigDirectory", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData]
    [InlineData("--Storage:Root", "x")]
    public async Task Check_NoFile_UsageAndExitTwo(params string[] args)
    {
        var (exitCode, _, error) = await CheckAsync(null, args);

        Assert.Equal(ConfigCheckCommand.BadUsage, exitCode);
        Assert.Contains("Usage: wharf config check", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_FileNotYaml_ExitTwo()
    {
        var file = Write("config.yml", "version: 0.1\nstorage: [unclosed\n");

        var (exitCode, _, error) = await CheckAsync(null, file);

        Assert.Equal(ConfigCheckCommand.BadUsage, exitCode);
        Assert.Contains("not valid YAML", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WharfConfigCheck_RealExecutable_ExitCodeSaysWhetherTheServerWouldStart()
    {
        var good = Write("good.yml", $"""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: {_directory.Combine("data")}
            """);
        var bad = Write("bad.yml", $"""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: {_directory.Combine("data")}
            auth:
              htpasswd:
                realm: r
                path: {_directory.Combine("nope")}
            """);

        var passed = await WharfCli.RunAsync(output, "config", "check", good);
        var failed = await WharfCli.RunAsync(output, "config", "check", bad);

        Assert.Equal(0, passed.ExitCode);
        Assert.Contains("No problems", passed.StdOut, StringComparison.Ordinal);
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains($"Auth:Htpasswd: {_directory.Combine("nope")} does not exist", failed.StdOut, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_directory.Combine("data")), "config check must not create the storage root");
    }
}
