using Microsoft.Extensions.Configuration;
using Wharf.Auth;
using Wharf.Configuration;
using Wharf.Tests.Auth;

namespace Wharf.Tests.Configuration;

/// <summary>distribution's <c>config.yml</c> given to <c>--config</c>: which Wharf keys each of its
/// settings becomes, what is named as ignored, and what stops start-up.</summary>
public sealed class DistributionConfigurationTests : IDisposable
{
    private static readonly Dictionary<string, string> NoEnvironment = [];
    private readonly TempDir _directory = new("wharf-distribution-config-");

    public void Dispose() => _directory.Dispose();

    private ConfigurationFileContents Read(string yaml, IReadOnlyDictionary<string, string>? environment = null)
    {
        var path = _directory.Combine("config.yml");
        File.WriteAllText(path, yaml);
        return YamlConfigurationFile.Read(path, environment ?? NoEnvironment);
    }

    /// <summary>A distribution file with a filesystem driver and <paramref name="more"/> after it.</summary>
    private ConfigurationFileContents ReadDistribution(string more, IReadOnlyDictionary<string, string>? environment = null) => Read($"""
        version: 0.1
        storage:
          filesystem:
            rootdirectory: /srv/registry
        {more}
        """, environment);

    private static string IgnoredWarning(ConfigurationFileContents contents) =>
        Assert.Single(contents.Warnings, w => w.StartsWith("these distribution settings have no meaning in Wharf", StringComparison.Ordinal));

    private static List<string> IgnoredKeys(ConfigurationFileContents contents) =>
        contents.Warnings.Where(w => w.StartsWith("these distribution settings", StringComparison.Ordinal))
            .SelectMany(w => w[(w.IndexOf(": ", StringComparison.Ordinal) + 2)..].Split(", "))
            .ToList();

    [Fact]
    public void Read_WharfFormatFile_FlattenedWithoutRegistryVariables()
    {
        var contents = Read("""
            Storage:
              Root: /data
            Auth:
              Admins: [bob]
            """, new Dictionary<string, string> { ["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"] = "/elsewhere" });

        Assert.Equal(ConfigurationFileContents.WharfFormat, contents.Format);
        Assert.Equal("/data", contents.Settings["Storage:Root"]);
        Assert.Equal("bob", contents.Settings["Auth:Admins:0"]);
        Assert.Equal(_directory.FullPath, contents.Settings[YamlConfigurationFile.DirectoryKey]);
        Assert.Empty(contents.Warnings);
        Assert.Empty(contents.Problems);
        Assert.False(contents.Settings.ContainsKey("Storage:Provider"));
    }

    [Theory]
    [InlineData("0.1")]
    [InlineData("\"0.1\"")]
    [InlineData("'0.1'")]
    public void Read_VersionNumberOrString_IsDistributionFormat(string version)
    {
        var contents = Read($"""
            version: {version}
            storage:
              filesystem:
                rootdirectory: /srv/registry
            """);

        Assert.Equal(ConfigurationFileContents.DistributionFormat, contents.Format);
        Assert.Equal("/srv/registry", contents.Settings["Storage:Root"]);
        Assert.Empty(contents.Warnings);
        Assert.Empty(contents.Problems);
        // Relative paths stay relative to the working directory, as distribution reads them.
        Assert.False(contents.Settings.ContainsKey(YamlConfigurationFile.DirectoryKey));
    }

    [Fact]
    public void Read_FilesystemDriver_MapsRootAndProvider()
    {
        var contents = ReadDistribution("");

        Assert.Equal("filesystem", contents.Settings["Storage:Provider"]);
        Assert.Equal("/srv/registry", contents.Settings["Storage:Root"]);
    }

    [Fact]
    public void Read_FilesystemWithoutRootDirectory_UsesDistributionsDefaultDirectory()
    {
        var contents = Read("""
            version: 0.1
            storage:
              filesystem: {}
            """);

        Assert.Equal("/var/lib/registry", contents.Settings["Storage:Root"]);
        Assert.Empty(contents.Problems);
    }

    [Fact]
    public void Read_S3Driver_MapsTheKeysThatLineUpAndNamesTheRest()
    {
        var contents = Read("""
            version: 0.1
            storage:
              s3:
                region: eu-west-1
                regionendpoint: rgw.local:7480
                secure: false
                bucket: images
                accesskey: AKIA1
                secretkey: s3cr3t
                rootdirectory: /distribution
                forcepathstyle: true
                v4auth: true
                chunksize: 10485760
            """);

        Assert.Empty(contents.Problems);
        Assert.Equal("s3", contents.Settings["Storage:Provider"]);
        Assert.Equal("images", contents.Settings["Storage:S3:Bucket"]);
        Assert.Equal("eu-west-1", contents.Settings["Storage:S3:Region"]);
        Assert.Equal("http://rgw.local:7480", contents.Settings["Storage:S3:Endpoint"]);
        Assert.Equal("AKIA1", contents.Settings["Storage:S3:AccessKey"]);
        Assert.Equal("s3cr3t", contents.Settings["Storage:S3:SecretKey"]);
        Assert.Equal("/distribution", contents.Settings["Storage:S3:Prefix"]);
        Assert.Equal("true", contents.Settings["Storage:S3:ForcePathStyle"]);
        // distribution's S3 driver redirects blob downloads to the bucket unless told not to.
        Assert.Equal("true", contents.Settings["Storage:S3:Redirect"]);
        Assert.Equal(["storage.s3.v4auth", "storage.s3.chunksize"], IgnoredKeys(contents));
        Assert.Contains(contents.Warnings, w => w.Contains("Storage:Root", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_S3WithRedirectDisabled_NoRedirectAndSchemeFromSecure()
    {
        var contents = Read("""
            version: 0.1
            storage:
              s3:
                bucket: images
                regionendpoint: s3.example.com
              redirect:
                disable: true
            """);

        Assert.Equal("false", contents.Settings["Storage:S3:Redirect"]);
        Assert.Equal("https://s3.example.com", contents.Settings["Storage:S3:Endpoint"]);
        Assert.Empty(IgnoredKeys(contents));
    }

    [Fact]
    public void Read_StorageDriverWharfLacks_IsAProblem()
    {
        var contents = Read("""
            version: 0.1
            storage:
              azure:
                accountname: a
            """);

        Assert.Contains(contents.Problems, p => p.StartsWith("storage.azure:", StringComparison.Ordinal));
        Assert.Empty(IgnoredKeys(contents));
    }

    [Fact]
    public void Read_NoStorageDriver_IsAProblem()
    {
        var contents = Read("""
            version: 0.1
            http:
              addr: :5000
            """);

        Assert.Contains(contents.Problems, p => p.StartsWith("storage:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", "false")]
    [InlineData("delete:\n    enabled: false", "false")]
    [InlineData("delete:\n    enabled: true", "true")]
    public void Read_DeleteEnabled_MapsWithDistributionsDefaultOff(string delete, string expected)
    {
        var contents = Read($"""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: /srv/registry
              {delete}
            """);

        Assert.Equal(expected, contents.Settings["Storage:Delete:Enabled"]);
    }

    [Fact]
    public void Read_ReadOnlyMaintenance_MapsStorageReadOnly()
    {
        var contents = Read("""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: /srv/registry
              maintenance:
                readonly:
                  enabled: true
            """);

        Assert.Equal("true", contents.Settings["Storage:ReadOnly"]);
        Assert.Empty(contents.Warnings);
    }

    [Fact]
    public void Read_UploadPurging_AgeBecomesMaxAgeAndTheRestIsWarnedAbout()
    {
        var contents = Read("""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: /srv/registry
              maintenance:
                uploadpurging:
                  enabled: false
                  age: 168h
                  interval: 24h
                  dryrun: true
            """);

        Assert.Equal("7.00:00:00", contents.Settings["Limits:UploadSessionMaxAge"]);
        Assert.Equal(["storage.maintenance.uploadpurging.interval"], IgnoredKeys(contents));
        Assert.Contains(contents.Warnings, w => w.StartsWith("storage.maintenance.uploadpurging.enabled is false", StringComparison.Ordinal));
        Assert.Contains(contents.Warnings, w => w.StartsWith("storage.maintenance.uploadpurging.dryrun is true", StringComparison.Ordinal));
        Assert.Empty(contents.Problems);
    }

    [Fact]
    public void Read_UploadPurgingAgeNotADuration_IsAProblem()
    {
        var contents = Read("""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: /srv/registry
              maintenance:
                uploadpurging:
                  age: a week
            """);

        Assert.Equal(["storage.maintenance.uploadpurging.age: 'a week' is not a duration (such as 168h, 10m, 30s)"], contents.Problems);
    }

    [Fact]
    public void Read_CacheAndRedirectWithFilesystem_NamedAsIgnored()
    {
        var contents = ReadDistribution("""
              cache:
                blobdescriptor: inmemory
              redirect:
                disable: true
            """);

        Assert.Equal(["storage.cache", "storage.redirect"], IgnoredKeys(contents));
    }

    [Theory]
    [InlineData(":5000", "http://0.0.0.0:5000")]
    [InlineData("127.0.0.1:5000", "http://127.0.0.1:5000")]
    [InlineData("0.0.0.0:80", "http://0.0.0.0:80")]
    [InlineData("localhost:5000", "http://127.0.0.1:5000")]
    [InlineData("registry.local:5000", "http://registry.local:5000")]
    [InlineData("[::1]:5000", "http://[::1]:5000")]
    public void Read_HttpAddr_BecomesUrls(string address, string url)
    {
        var contents = ReadDistribution($"""
            http:
              addr: "{address}"
            """);

        Assert.Equal(url, contents.Settings["urls"]);
        Assert.Empty(contents.Problems);
    }

    [Theory]
    [InlineData("5000")]
    [InlineData("host:")]
    [InlineData(":http")]
    [InlineData(":70000")]
    [InlineData("::1:5000")]
    public void Read_HttpAddrNotHostPort_IsAProblem(string address)
    {
        var contents = ReadDistribution($"""
            http:
              addr: "{address}"
            """);

        Assert.Equal([$"http.addr: '{address}' is not a [host]:port address"], contents.Problems);
    }

    [Fact]
    public void Read_HttpAddrOnUnixSocket_ListensOnTheSocket()
    {
        var contents = ReadDistribution("""
            http:
              net: unix
              addr: /run/registry.sock
            """);

        Assert.Equal("http://unix:/run/registry.sock", contents.Settings["urls"]);
    }

    [Fact]
    public void Read_HttpTls_HttpsUrlAndTlsFiles()
    {
        var contents = ReadDistribution("""
            http:
              addr: :443
              tls:
                certificate: /certs/domain.crt
                key: /certs/domain.key
                minimumtls: tls1.2
            """);

        Assert.Equal("https://0.0.0.0:443", contents.Settings["urls"]);
        Assert.Equal("/certs/domain.crt", contents.Settings["Tls:Certificate"]);
        Assert.Equal("/certs/domain.key", contents.Settings["Tls:Key"]);
        Assert.Equal(["http.tls.minimumtls"], IgnoredKeys(contents));
    }

    [Fact]
    public void Read_HttpHeaders_BecomeHttpHeadersLists()
    {
        var contents = ReadDistribution("""
            http:
              headers:
                X-Content-Type-Options: [nosniff]
                Access-Control-Allow-Methods: [GET, HEAD]
                X-Single: one
            """);

        Assert.Equal("nosniff", contents.Settings["Http:Headers:X-Content-Type-Options:0"]);
        Assert.Equal("GET", contents.Settings["Http:Headers:Access-Control-Allow-Methods:0"]);
        Assert.Equal("HEAD", contents.Settings["Http:Headers:Access-Control-Allow-Methods:1"]);
        Assert.Equal("one", contents.Settings["Http:Headers:X-Single:0"]);
        Assert.Empty(contents.Warnings);
    }

    [Fact]
    public void Read_DebugAddr_BecomesMetricsUrls()
    {
        var contents = ReadDistribution("""
            http:
              debug:
                addr: localhost:5001
                prometheus:
                  enabled: true
            """);

        Assert.Equal("http://127.0.0.1:5001", contents.Settings["Metrics:Urls"]);
        Assert.Equal(["http.debug.prometheus"], IgnoredKeys(contents));
    }

    [Fact]
    public void Read_Htpasswd_MapsAuthModeRealmAndFile()
    {
        var contents = ReadDistribution("""
            auth:
              htpasswd:
                realm: basic-realm
                path: /auth/htpasswd
            """);

        Assert.Equal("Htpasswd", contents.Settings["Auth:Mode"]);
        Assert.Equal("basic-realm", contents.Settings["Auth:Realm"]);
        Assert.Equal("/auth/htpasswd", contents.Settings["Auth:Htpasswd"]);
        Assert.Empty(contents.Warnings);
    }

    [Fact]
    public void Read_Token_MapsAnExternalIssuer()
    {
        var contents = ReadDistribution("""
            auth:
              token:
                realm: https://auth.example.com/token
                service: registry.example.com
                issuer: auth.example.com
                rootcertbundle: /certs/issuer.pem
                jwks: /certs/issuer.jwks
                autoredirect: false
            """);

        Assert.Equal("Token", contents.Settings["Auth:Mode"]);
        Assert.Equal("false", contents.Settings["Auth:Token:BuiltIn"]);
        Assert.Equal("https://auth.example.com/token", contents.Settings["Auth:Token:Realm"]);
        Assert.Equal("registry.example.com", contents.Settings["Auth:Token:Service"]);
        Assert.Equal("auth.example.com", contents.Settings["Auth:Token:Issuer"]);
        Assert.Equal("/certs/issuer.pem", contents.Settings["Auth:Token:Certificate"]);
        Assert.Equal("/certs/issuer.jwks", contents.Settings["Auth:Token:Jwks"]);
        Assert.Equal(["auth.token.autoredirect"], IgnoredKeys(contents));
    }

    [Fact]
    public void Read_MappedSettings_BindToWharfsOptions()
    {
        var contents = ReadDistribution("""
              maintenance:
                uploadpurging:
                  age: 36h
            auth:
              token:
                realm: https://auth.example.com/token
                service: registry.example.com
                issuer: auth.example.com
                rootcertbundle: /certs/issuer.pem
            """);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(contents.Settings).Build();

        var auth = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>()!;
        var limits = configuration.GetSection(LimitOptions.Section).Get<LimitOptions>()!;
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>()!;

        Assert.Equal(AuthMode.Token, auth.Mode);
        Assert.False(auth.Token.BuiltIn);
        Assert.Equal("/certs/issuer.pem", auth.Token.Certificate);
        Assert.Equal(TimeSpan.FromHours(36), limits.UploadSessionMaxAge);
        Assert.False(storage.Delete.Enabled);
        Assert.Equal("/srv/registry", storage.Root);
    }

    [Theory]
    [InlineData("htpasswd:\n    path: /a\n  token:\n    realm: https://x", "auth: one authentication scheme may be configured, not several (htpasswd, token)")]
    [InlineData("silly:\n    realm: x", "auth.silly: Wharf signs clients in with htpasswd or token only; it will not start without the sign-in this file asks for")]
    public void Read_AuthWharfCannotHonour_IsAProblem(string auth, string problem)
    {
        var contents = ReadDistribution($"""
            auth:
              {auth}
            """);

        Assert.Contains(problem, contents.Problems);
    }

    [Theory]
    [InlineData("debug", "Debug")]
    [InlineData("info", "Information")]
    [InlineData("warn", "Warning")]
    [InlineData("error", "Error")]
    public void Read_LogLevel_BecomesDefaultLogLevel(string level, string expected)
    {
        var contents = ReadDistribution($"""
            log:
              level: {level}
            """);

        Assert.Equal(expected, contents.Settings["Logging:LogLevel:Default"]);
    }

    [Fact]
    public void Read_OldLoglevelSpelling_BecomesDefaultLogLevel()
    {
        var contents = ReadDistribution("loglevel: warn");

        Assert.Equal("Warning", contents.Settings["Logging:LogLevel:Default"]);
        Assert.Empty(contents.Warnings);
    }

    [Fact]
    public void Read_UnknownLogLevel_IsAProblem()
    {
        var contents = ReadDistribution("""
            log:
              level: loud
            """);

        Assert.Equal(["log.level: 'loud' is not a level (debug, info, warn, error)"], contents.Problems);
    }

    [Theory]
    [InlineData("text", "text", false)]
    [InlineData("json", "json", false)]
    [InlineData("logstash", "json", true)]
    public void Read_LogFormatter_BecomesLoggingFormat(string formatter, string format, bool warned)
    {
        var contents = ReadDistribution($"""
            log:
              formatter: {formatter}
            """);

        Assert.Equal(format, contents.Settings["Logging:Format"]);
        Assert.Equal(warned, contents.Warnings.Any(w => w.StartsWith("log.formatter: logstash", StringComparison.Ordinal)));
    }

    [Fact]
    public void Read_NotificationEndpoints_MapEveryField()
    {
        var contents = ReadDistribution("""
            notifications:
              events:
                includereferences: true
              endpoints:
                - name: alistener
                  disabled: false
                  url: https://hooks.example.com/event
                  headers:
                    Authorization: [Bearer abc]
                    X-Two: [a, b]
                  timeout: 1s
                  threshold: 10
                  backoff: 1m30s
                  ignoredmediatypes:
                    - application/octet-stream
                  ignore:
                    mediatypes:
                      - application/vnd.oci.image.config.v1+json
                    actions:
                      - pull
                - name: second
                  url: http://10.0.0.1/hook
                  disabled: true
                  queuepurge: 1h
            """);

        Assert.Empty(contents.Problems);
        var s = contents.Settings;
        Assert.Equal("alistener", s["Notifications:Endpoints:0:Name"]);
        Assert.Equal("false", s["Notifications:Endpoints:0:Disabled"]);
        Assert.Equal("https://hooks.example.com/event", s["Notifications:Endpoints:0:Url"]);
        Assert.Equal("Bearer abc", s["Notifications:Endpoints:0:Headers:Authorization:0"]);
        Assert.Equal("a", s["Notifications:Endpoints:0:Headers:X-Two:0"]);
        Assert.Equal("b", s["Notifications:Endpoints:0:Headers:X-Two:1"]);
        Assert.Equal("00:00:01", s["Notifications:Endpoints:0:Timeout"]);
        Assert.Equal("10", s["Notifications:Endpoints:0:Threshold"]);
        Assert.Equal("00:01:30", s["Notifications:Endpoints:0:Backoff"]);
        Assert.Equal("application/octet-stream", s["Notifications:Endpoints:0:IgnoredMediaTypes:0"]);
        Assert.Equal("application/vnd.oci.image.config.v1+json", s["Notifications:Endpoints:0:Ignore:MediaTypes:0"]);
        Assert.Equal("pull", s["Notifications:Endpoints:0:Ignore:Actions:0"]);
        Assert.Equal("second", s["Notifications:Endpoints:1:Name"]);
        Assert.Equal("true", s["Notifications:Endpoints:1:Disabled"]);
        Assert.Equal(["notifications.events", "notifications.endpoints[1].queuepurge"], IgnoredKeys(contents));
    }

    [Fact]
    public void Read_NotificationThresholdNotANumber_IsAProblem()
    {
        var contents = ReadDistribution("""
            notifications:
              endpoints:
                - name: alistener
                  url: https://hooks.example.com/event
                  threshold: many
            """);

        Assert.Equal(["notifications.endpoints.0.threshold: 'many' is not a whole number"], contents.Problems);
        Assert.False(contents.Settings.ContainsKey("Notifications:Endpoints:0:Threshold"));
    }

    [Fact]
    public void Read_SettingsWithoutWharfMeaning_NamedInOneWarning()
    {
        var contents = ReadDistribution("""
            log:
              level: info
              fields:
                service: registry
              accesslog:
                disabled: true
              hooks:
                - type: mail
            http:
              addr: :5000
              secret: asecretforlocaldevelopment
              prefix: /registry
              host: https://registry.example.com
              relativeurls: true
              draintimeout: 60s
              http2:
                disabled: false
            health:
              storagedriver:
                enabled: true
            redis:
              addr: localhost:6379
            proxy:
              remoteurl: https://registry-1.docker.io
            validation:
              disabled: true
            compatibility:
              schema1:
                enabled: true
            reporting:
              bugsnag:
                apikey: x
            middleware:
              registry:
                - name: redirect
            """);

        Assert.Equal(
            ["log.fields", "log.accesslog", "log.hooks", "http.prefix", "http.host", "http.relativeurls", "http.draintimeout",
             "http.http2", "health", "redis", "proxy", "validation", "compatibility", "reporting", "middleware"],
            IgnoredKeys(contents));
        Assert.Single(contents.Warnings);
        // The format marker and the upload-state secret carry nothing Wharf needs: not named.
        Assert.DoesNotContain("version", IgnoredWarning(contents), StringComparison.Ordinal);
        Assert.DoesNotContain("http.secret", IgnoredWarning(contents), StringComparison.Ordinal);
        Assert.Empty(contents.Problems);
    }

    [Fact]
    public void Read_RegistryVariables_OverrideTheFile()
    {
        var contents = Read("""
            version: 0.1
            log:
              level: info
            storage:
              filesystem:
                RootDirectory: /from/file
            http:
              addr: :5000
            auth:
              htpasswd:
                realm: basic-realm
                path: /from/file/htpasswd
            """, new Dictionary<string, string>
        {
            ["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"] = "/from/env",
            ["REGISTRY_HTTP_ADDR"] = "127.0.0.1:6000",
            ["REGISTRY_AUTH_HTPASSWD_PATH"] = "/env/htpasswd",
            ["REGISTRY_LOG_LEVEL"] = "debug",
            ["REGISTRY_STORAGE_DELETE_ENABLED"] = "true",
            ["REGISTRY_HTTP_HEADERS"] = "{X-Frame-Options: [DENY]}",
        });

        Assert.Empty(contents.Problems);
        Assert.Equal("/from/env", contents.Settings["Storage:Root"]);
        Assert.Equal("http://127.0.0.1:6000", contents.Settings["urls"]);
        Assert.Equal("/env/htpasswd", contents.Settings["Auth:Htpasswd"]);
        Assert.Equal("basic-realm", contents.Settings["Auth:Realm"]);
        Assert.Equal("Debug", contents.Settings["Logging:LogLevel:Default"]);
        Assert.Equal("true", contents.Settings["Storage:Delete:Enabled"]);
        Assert.Equal("DENY", contents.Settings["Http:Headers:X-Frame-Options:0"]);
        Assert.Empty(contents.Warnings);
    }

    [Fact]
    public void Read_RegistryStorageVariable_SwitchesTheDriver()
    {
        var contents = ReadDistribution("""
              delete:
                enabled: true
            """, new Dictionary<string, string>
        {
            ["REGISTRY_STORAGE"] = "s3",
            ["REGISTRY_STORAGE_S3_BUCKET"] = "images",
            ["REGISTRY_STORAGE_S3_REGION"] = "us-east-2",
        });

        Assert.Empty(contents.Problems);
        Assert.Equal("s3", contents.Settings["Storage:Provider"]);
        Assert.Equal("images", contents.Settings["Storage:S3:Bucket"]);
        Assert.Equal("us-east-2", contents.Settings["Storage:S3:Region"]);
        Assert.Equal("true", contents.Settings["Storage:Delete:Enabled"]);
        Assert.False(contents.Settings.ContainsKey("Storage:Root"));
    }

    [Fact]
    public void Read_RegistryVariableWithoutMeaning_NamedWithTheVariable()
    {
        var contents = ReadDistribution("", new Dictionary<string, string>
        {
            // What Kubernetes sets for a service called "registry".
            ["REGISTRY_PORT"] = "tcp://10.0.0.7:5000",
            ["REGISTRY_REDIS_ADDR"] = "redis:6379",
            // Where distribution finds its file; Wharf takes it from --config.
            ["REGISTRY_CONFIGURATION_PATH"] = "/etc/docker/registry/config.yml",
        });

        Assert.Equal(["port (from REGISTRY_PORT)", "redis (from REGISTRY_REDIS_ADDR)"], IgnoredKeys(contents));
        Assert.Empty(contents.Problems);
    }

    [Fact]
    public void Load_DistributionFileWithProblems_ThrowsNamingThem()
    {
        var path = _directory.Combine("config.yml");
        File.WriteAllText(path, """
            version: 0.1
            storage:
              gcs:
                bucket: b
            """);

        var e = Assert.Throws<InvalidDataException>(() => YamlConfigurationFile.Load(path));

        Assert.Contains("storage.gcs:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DistributionFileWithIgnoredSettings_WritesTheWarning()
    {
        var path = _directory.Combine("config.yml");
        File.WriteAllText(path, """
            version: 0.1
            storage:
              filesystem:
                rootdirectory: /srv/registry
            redis:
              addr: localhost:6379
            """);
        using var warnings = new StringWriter();

        var settings = YamlConfigurationFile.Load(path, warnings);

        Assert.Equal("/srv/registry", settings["Storage:Root"]);
        Assert.Equal($"warning: {path}: these distribution settings have no meaning in Wharf and are ignored: redis", warnings.ToString().Trim());
    }
}

/// <summary>Go's duration syntax, as distribution's files write durations.</summary>
public sealed class GoDurationTests
{
    [Theory]
    [InlineData("168h", "7.00:00:00")]
    [InlineData("24h", "1.00:00:00")]
    [InlineData("10m", "00:10:00")]
    [InlineData("1h30m", "01:30:00")]
    [InlineData("1.5s", "00:00:01.5000000")]
    [InlineData("300ms", "00:00:00.3000000")]
    [InlineData("2m3s4ms", "00:02:03.0040000")]
    [InlineData("0", "00:00:00")]
    // The longest whole number of hours Go's int64 nanoseconds hold.
    [InlineData("2562047h", "106751.23:00:00")]
    public void TryParse_GoDuration_ConfigurationValue(string text, string expected)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.Equal(expected, GoDuration.ToConfigurationValue(duration));
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("h")]
    [InlineData("7d")]
    [InlineData("1h 30m")]
    [InlineData("00:10:00")]
    // 2^63 ns and more: time.ParseDuration refuses them (its int64 of nanoseconds overflows).
    [InlineData("2562048h")]
    [InlineData("-2562048h")]
    [InlineData("9223372036854775808ns")]
    [InlineData("256204779h")]
    [InlineData("99999999999999999999999999h")]
    public void TryParse_NotAGoDuration_False(string text) => Assert.False(GoDuration.TryParse(text, out _));
}
