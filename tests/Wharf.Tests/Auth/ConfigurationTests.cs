using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wharf.Auth;
using Wharf.Configuration;
using Wharf.Tests.Import;

namespace Wharf.Tests.Auth;

/// <summary>The <c>--config</c> YAML file: how it becomes configuration keys.</summary>
public sealed class YamlConfigurationFileTests : IDisposable
{
    private readonly TempDir _directory = new();

    public void Dispose() => _directory.Dispose();

    private string WriteYaml(string text, string name = "wharf.yaml")
    {
        var path = _directory.Combine(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Load_ExampleAuthFile_FlattensMappingsAndSequences()
    {
        var directory = Path.Combine(RepositoryRoot.Find(), "examples", "auth");

        var values = YamlConfigurationFile.Load(Path.Combine(directory, "wharf.yaml"));

        Assert.Equal(directory, values[YamlConfigurationFile.DirectoryKey]);
        Assert.Equal("http://127.0.0.1:5000", values["urls"]);
        Assert.False(values.ContainsKey("Storage:Root"));
        Assert.Equal("token", values["Auth:Mode"]);
        Assert.Equal("Wharf", values["Auth:Realm"]);
        Assert.Equal("htpasswd", values["Auth:Htpasswd"]);
        Assert.Equal("true", values["Auth:Token:BuiltIn"]);
        Assert.Equal("wharf", values["Auth:Token:Service"]);
        Assert.Equal("00:05:00", values["Auth:Token:Lifetime"]);
        Assert.Equal("bob", values["Auth:Admins:0"]);
        Assert.Equal("public/**", values["Auth:AnonymousPull:0"]);
        Assert.Equal("team/*", values["Auth:Rules:0:Repositories:0"]);
        Assert.Equal("alice", values["Auth:Rules:0:Users:0"]);
        Assert.Equal("pull", values["Auth:Rules:0:Actions:0"]);
        Assert.Equal("push", values["Auth:Rules:0:Actions:1"]);
        Assert.False(values.ContainsKey("Auth:Rules:0:Actions:2"));
    }

    [Fact]
    public void Load_ExampleAuthFile_BindsToAuthOptionsWithPathsRelativeToTheFile()
    {
        var directory = Path.Combine(RepositoryRoot.Find(), "examples", "auth");
        var values = YamlConfigurationFile.Load(Path.Combine(directory, "wharf.yaml"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddWharfAuth(configuration);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<AuthOptions>>().Value;

        Assert.Equal(AuthMode.Token, options.Mode);
        Assert.Equal(Path.Combine(directory, "htpasswd"), options.Htpasswd);
        Assert.True(options.Token.BuiltIn);
        Assert.Equal(TimeSpan.FromMinutes(5), options.Token.Lifetime);
        Assert.Equal(["bob"], options.Admins);
        Assert.Equal(["public/**"], options.AnonymousPull);
        var rule = Assert.Single(options.Rules);
        Assert.Equal(["team/*"], rule.Repositories);
        Assert.Equal(["alice"], rule.Users);
        Assert.Equal(["pull", "push"], rule.Actions);
    }

    [Fact]
    public void Load_NestedMappingsAndSequencesOfMappings_BecomeIndexedKeys()
    {
        var path = WriteYaml("""
            Auth:
              Mode: htpasswd
              Groups:
                readers: [carol, erin]
              Rules:
                - Repositories: [ "a/*", "b/**" ]
                  Groups: [ readers ]
                  Actions: [ pull ]
                - Repositories:
                    - c/*
                  Users: [ "*" ]
                  Actions: [ "*" ]
            Limits:
              MaxRequestHeaderBytes: 16384
            """);

        var values = YamlConfigurationFile.Load(path);

        Assert.Equal("carol", values["Auth:Groups:readers:0"]);
        Assert.Equal("erin", values["Auth:Groups:readers:1"]);
        Assert.Equal("a/*", values["Auth:Rules:0:Repositories:0"]);
        Assert.Equal("b/**", values["Auth:Rules:0:Repositories:1"]);
        Assert.Equal("readers", values["Auth:Rules:0:Groups:0"]);
        Assert.Equal("c/*", values["Auth:Rules:1:Repositories:0"]);
        Assert.Equal("*", values["Auth:Rules:1:Users:0"]);
        Assert.Equal("*", values["Auth:Rules:1:Actions:0"]);
        Assert.Equal("16384", values["Limits:MaxRequestHeaderBytes"]);
    }

    [Fact]
    public void Load_KeysAreCaseInsensitive()
    {
        var values = YamlConfigurationFile.Load(WriteYaml("auth:\n  mode: token\n"));

        Assert.Equal("token", values["Auth:Mode"]);
    }

    [Theory]
    [InlineData("Auth:\n  Htpasswd: ~\n")]
    [InlineData("Auth:\n  Htpasswd: null\n")]
    public void Load_YamlNull_ClearsTheSetting(string yaml)
    {
        var values = YamlConfigurationFile.Load(WriteYaml(yaml));

        Assert.True(values.ContainsKey("Auth:Htpasswd"));
        Assert.Null(values["Auth:Htpasswd"]);
    }

    [Fact]
    public void Load_EmptyValue_IsEmpty()
    {
        // An empty value clears a setting as an empty environment variable would.
        var values = YamlConfigurationFile.Load(WriteYaml("Auth:\n  Htpasswd:\n"));

        Assert.True(string.IsNullOrEmpty(values["Auth:Htpasswd"]));
    }

    [Fact]
    public void Load_QuotedNullString_IsKeptAsText()
    {
        // Only an unquoted ~ or null is YAML's null; "null" in quotes is a string.
        var values = YamlConfigurationFile.Load(WriteYaml("Auth:\n  Realm: \"null\"\n"));

        Assert.Equal("null", values["Auth:Realm"]);
    }

    [Fact]
    public void Load_EmptyFile_OnlyTheDirectoryKey()
    {
        var values = YamlConfigurationFile.Load(WriteYaml(""));

        Assert.Equal(_directory.FullPath, Assert.Single(values).Value);
    }

    [Fact]
    public void Load_RelativePath_RecordsTheFilesDirectory()
    {
        var nested = Directory.CreateDirectory(_directory.Combine("conf")).FullName;
        File.WriteAllText(Path.Combine(nested, "w.yaml"), "Storage:\n  Root: data\n");
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), Path.Combine(nested, "w.yaml"));

        var values = YamlConfigurationFile.Load(relative);

        Assert.Equal(nested, values[YamlConfigurationFile.DirectoryKey]);
    }

    [Fact]
    public void AddWharfAuth_RelativePathsInYaml_ResolvedAgainstTheFilesDirectory()
    {
        var conf = Directory.CreateDirectory(_directory.Combine("conf")).FullName;
        Directory.CreateDirectory(Path.Combine(conf, "users"));
        Directory.CreateDirectory(Path.Combine(conf, "keys"));
        File.WriteAllText(Path.Combine(conf, "users", "htpasswd"), TestUsers.HtpasswdLine("alice", "pw") + "\n");
        File.WriteAllText(Path.Combine(conf, "keys", "signing.pem"), "");
        File.WriteAllText(_directory.Combine("issuer.pem"), "");
        var path = Path.Combine(conf, "wharf.yaml");
        File.WriteAllText(path, """
            Auth:
              Mode: token
              Htpasswd: users/htpasswd
              Token:
                SigningKey: keys/signing.pem
                Certificate: ../issuer.pem
            """);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(YamlConfigurationFile.Load(path)).Build();
        var services = new ServiceCollection();
        services.AddWharfAuth(configuration);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<AuthOptions>>().Value;

        Assert.Equal(Path.Combine(conf, "users", "htpasswd"), options.Htpasswd);
        Assert.Equal(Path.Combine(conf, "keys", "signing.pem"), options.Token.SigningKey);
        Assert.Equal(_directory.Combine("issuer.pem"), options.Token.Certificate);
    }

    [Theory]
    [InlineData("just a scalar\n")]
    [InlineData("- a\n- b\n")]
    public void Load_TopLevelNotAMapping_InvalidData(string yaml)
    {
        var path = WriteYaml(yaml);

        var error = Assert.Throws<InvalidDataException>(() => YamlConfigurationFile.Load(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Auth:\n  Mode: [unclosed\n")]
    [InlineData("Auth:\n\tMode: token\n")]
    [InlineData("Auth: {Mode: token\n")]
    [InlineData("a: b\n  c: d\n")]
    public void Load_InvalidYaml_InvalidDataNamingTheLine(string yaml)
    {
        var path = WriteYaml(yaml);

        var error = Assert.Throws<InvalidDataException>(() => YamlConfigurationFile.Load(path));

        Assert.Contains("line", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ComplexMappingKey_InvalidData()
    {
        // A key that is itself a sequence has no configuration spelling.
        var path = WriteYaml("? [a, b]\n: value\n");

        Assert.Throws<InvalidDataException>(() => YamlConfigurationFile.Load(path));
    }

    [Fact]
    public void Load_MissingFile_IOException()
    {
        Assert.ThrowsAny<IOException>(() => YamlConfigurationFile.Load(_directory.Combine("nope.yaml")));
    }

    [Theory]
    [InlineData(new[] { "--config", "w.yaml" }, "w.yaml")]
    [InlineData(new[] { "--config=w.yaml" }, "w.yaml")]
    [InlineData(new[] { "-c", "w.yaml", "--urls", "x" }, "w.yaml")]
    [InlineData(new[] { "--urls", "x" }, null)]
    [InlineData(new[] { "--config" }, null)]
    public void FindArgument_ConfigOption_Found(string[] args, string? expected)
    {
        Assert.Equal(expected, YamlConfigurationFile.FindArgument(args));
    }

    [Fact]
    public void WithoutConfigArgument_RemovesOnlyTheConfigOption()
    {
        Assert.Equal(["--urls", "x", "--Auth:Mode", "token"],
            YamlConfigurationFile.WithoutConfigArgument(["--config", "w.yaml", "--urls", "x", "--config=other.yaml", "--Auth:Mode", "token"]));
        Assert.Equal(["--a", "b"], YamlConfigurationFile.WithoutConfigArgument(["-c", "w.yaml", "--a", "b"]));
    }
}

/// <summary>Settings checked at start, all at once: <see cref="StartupCheck"/> directly, and the
/// real executable refusing to start (exit code 2, every problem on stderr).</summary>
public sealed class StartupCheckTests : IDisposable
{
    private readonly TempDir _directory = new();

    public void Dispose()
    {
        Wharf.Tests.Api.SqlitePools.ReleaseUnder(_directory.FullPath);
        _directory.Dispose();
    }

    private IReadOnlyList<string> Check(params (string Key, string? Value)[] settings) =>
        Wharf.Tests.Configuration.StartupChecks.Run(_directory.Combine("data"), settings);

    private string Htpasswd(params string[] lines)
    {
        var path = _directory.Combine($"htpasswd-{Guid.NewGuid():N}");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Run_GoodHtpasswdSettings_NoProblems()
    {
        var problems = Check(("Auth:Mode", "htpasswd"), ("Auth:Htpasswd", Htpasswd(TestUsers.HtpasswdLine("alice", "pw"))));

        Assert.Empty(problems);
    }

    [Fact]
    public void Run_GoodTokenSettings_NoProblemsAndKeyGenerated()
    {
        var problems = Check(("Auth:Mode", "token"), ("Auth:Htpasswd", Htpasswd(TestUsers.HtpasswdLine("alice", "pw"))));

        Assert.Empty(problems);
        Assert.True(File.Exists(_directory.Combine("data", "token-signing-key.pem")));
    }

    [Theory]
    [InlineData("htpasswd")]
    [InlineData("token")]
    public void Run_ModeNeedsHtpasswdButNoneGiven_Problem(string mode)
    {
        var problems = Check(("Auth:Mode", mode));

        Assert.Contains(problems, p => p.Contains("Auth:Htpasswd", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_HtpasswdFileMissing_Problem()
    {
        var missing = _directory.Combine("missing-htpasswd");

        var problems = Check(("Auth:Mode", "htpasswd"), ("Auth:Htpasswd", missing));

        Assert.Contains(problems, p => p.Contains(missing, StringComparison.Ordinal) && p.Contains("does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_HtpasswdWithMd5Entry_ProblemNamesTheUser()
    {
        var problems = Check(("Auth:Mode", "htpasswd"), ("Auth:Htpasswd", Htpasswd(TestUsers.HtpasswdLine("alice", "pw"), "legacy:$apr1$9cDbqbWs$1xkPX.VKzCsuaUFFPLLYj.")));

        Assert.Contains(problems, p => p.Contains("legacy", StringComparison.Ordinal) && p.Contains("bcrypt", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_HtpasswdWithTruncatedBcryptEntry_ListedAsProblem()
    {
        var problems = Check(("Auth:Mode", "htpasswd"), ("Auth:Htpasswd", Htpasswd("alice:$2y$")));

        Assert.Contains(problems, p => p.Contains("Auth:Htpasswd", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_ExternalIssuerWithoutKeysOrRealm_BothProblems()
    {
        var problems = Check(("Auth:Mode", "token"), ("Auth:Token:BuiltIn", "false"));

        Assert.Contains(problems, p => p.Contains("Certificate or Jwks", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Auth:Token:Realm", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("Auth:Htpasswd", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_UnreadableCertificate_ListedAsProblem()
    {
        var certificate = _directory.Combine("not-a-cert.pem");
        File.WriteAllText(certificate, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");

        var problems = Check(("Auth:Mode", "token"), ("Auth:Token:BuiltIn", "false"), ("Auth:Token:Certificate", certificate), ("Auth:Token:Realm", "https://auth.example.invalid/token"));

        Assert.NotEmpty(problems);
    }

    [Fact]
    public void Run_UnreadableSigningKey_ListedAsProblem()
    {
        var key = _directory.Combine("not-a-key.pem");
        File.WriteAllText(key, "this is not a PEM key\n");

        var problems = Check(("Auth:Mode", "token"), ("Auth:Htpasswd", Htpasswd(TestUsers.HtpasswdLine("alice", "pw"))), ("Auth:Token:SigningKey", key));

        Assert.NotEmpty(problems);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:01:00")]
    [InlineData("1.00:00:01")]
    public void Run_TokenLifetimeOutOfRange_Problem(string lifetime)
    {
        var problems = Check(("Auth:Mode", "token"), ("Auth:Htpasswd", Htpasswd(TestUsers.HtpasswdLine("alice", "pw"))), ("Auth:Token:Lifetime", lifetime));

        Assert.Contains(problems, p => p.Contains("Lifetime", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_RuleWithoutRepositoriesOrWithUnknownAction_Problems()
    {
        var problems = Check(
            ("Auth:Mode", "htpasswd"),
            ("Auth:Htpasswd", Htpasswd(TestUsers.HtpasswdLine("alice", "pw"))),
            ("Auth:Rules:0:Users:0", "alice"),
            ("Auth:Rules:0:Actions:0", "pull"),
            ("Auth:Rules:1:Repositories:0", "team/*"),
            ("Auth:Rules:1:Actions:0", "fly"));

        Assert.Contains(problems, p => p.Contains("Auth:Rules:0", StringComparison.Ordinal) && p.Contains("no repositories", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Auth:Rules:1", StringComparison.Ordinal) && p.Contains("fly", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_SeveralBadSettings_AllListedAtOnce()
    {
        var problems = Check(
            ("Auth:Mode", "htpasswd"),
            ("Auth:Token:Lifetime", "00:00:00"),
            ("Tls:Certificate", _directory.Combine("missing-cert.pem")),
            ("Limits:MaxRequestHeaderBytes", "100"),
            ("Limits:MaxConcurrentUploadsPerClient", "0"));

        Assert.Contains(problems, p => p.Contains("Auth:Htpasswd", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Lifetime", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Tls:Certificate and Tls:Key", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("missing-cert.pem", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Limits:MaxRequestHeaderBytes", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Limits:MaxConcurrentUploadsPerClient", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Executable_HtpasswdModeWithoutFile_ExitCode2AndProblemOnStderr()
    {
        var result = await WharfCli.RunAsync(null, "--urls", "http://127.0.0.1:0", "--Storage:Root", _directory.Combine("data"), "--Auth:Mode", "htpasswd");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Wharf cannot start", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("Auth:Htpasswd must name an htpasswd file", result.StdErr, StringComparison.Ordinal);
        ErrorBody.AssertNothingInternal(result.StdErr);
    }

    [Fact]
    public async Task Executable_Md5HtpasswdAndOtherBadSettings_ExitCode2AndEveryProblemListed()
    {
        var htpasswd = Htpasswd(TestUsers.HtpasswdLine("alice", "pw"), "legacy:$apr1$9cDbqbWs$1xkPX.VKzCsuaUFFPLLYj.");

        var result = await WharfCli.RunAsync(null,
            "--urls", "http://127.0.0.1:0",
            "--Storage:Root", _directory.Combine("data"),
            "--Auth:Mode", "htpasswd",
            "--Auth:Htpasswd", htpasswd,
            "--Auth:Rules:0:Repositories:0", "team/*",
            "--Auth:Rules:0:Actions:0", "fly",
            "--Limits:MaxRequestHeaderBytes", "100",
            "--Tls:Key", _directory.Combine("missing-key.pem"));

        Assert.Equal(2, result.ExitCode);
        var lines = result.StdErr.Split('\n').Where(l => l.TrimStart().StartsWith("- ", StringComparison.Ordinal)).ToList();
        Assert.Contains(lines, l => l.Contains("legacy", StringComparison.Ordinal) && l.Contains("bcrypt", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("unknown action 'fly'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Limits:MaxRequestHeaderBytes", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Tls:Certificate and Tls:Key", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("missing-key.pem", StringComparison.Ordinal));
        ErrorBody.AssertNothingInternal(result.StdErr);
    }

    [Fact]
    public async Task Executable_YamlConfigWithRelativeMissingHtpasswd_ExitCode2NamingResolvedPath()
    {
        var yaml = _directory.Combine("wharf.yaml");
        File.WriteAllText(yaml, $"""
            Storage:
              Root: data
            Auth:
              Mode: htpasswd
              Htpasswd: conf/users.htpasswd
            """);

        var result = await WharfCli.RunAsync(null, "--config", yaml, "--urls", "http://127.0.0.1:0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(_directory.Combine("conf", "users.htpasswd"), result.StdErr, StringComparison.Ordinal);
        Assert.Contains("does not exist", result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Auth:\n  Mode: [unclosed\n")]
    [InlineData("just a scalar\n")]
    [InlineData("? [a, b]\n: value\n")]
    public async Task Executable_UnreadableYamlConfig_ExitCode2WithoutStackTrace(string yaml)
    {
        var path = _directory.Combine($"bad-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);

        var result = await WharfCli.RunAsync(null, "--config", path, "--urls", "http://127.0.0.1:0", "--Storage:Root", _directory.Combine("data"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Wharf cannot read its configuration", result.StdErr, StringComparison.Ordinal);
        ErrorBody.AssertNothingInternal(result.StdErr);
    }

    [Fact]
    public async Task Executable_UnreadableSigningKey_ExitCode2WithoutStackTrace()
    {
        var key = _directory.Combine("not-a-key.pem");
        File.WriteAllText(key, "this is not a PEM key\n");

        var result = await WharfCli.RunAsync(null,
            "--urls", "http://127.0.0.1:0",
            "--Storage:Root", _directory.Combine("data"),
            "--Auth:Mode", "token",
            "--Auth:Htpasswd", Htpasswd(TestUsers.HtpasswdLine("alice", "pw")),
            "--Auth:Token:SigningKey", key);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Wharf cannot start", result.StdErr, StringComparison.Ordinal);
        ErrorBody.AssertNothingInternal(result.StdErr);
    }

    [Fact]
    public async Task Executable_MissingYamlConfig_ExitCode2()
    {
        var result = await WharfCli.RunAsync(null, "--config", _directory.Combine("nope.yaml"), "--urls", "http://127.0.0.1:0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Wharf cannot read its configuration", result.StdErr, StringComparison.Ordinal);
    }
}
