using Wharf.Tests.Auth;
using Wharf.Tests.Configuration;

namespace Wharf.Tests.Observability;

/// <summary>Metrics, tracing and log settings are checked at start, every problem named.</summary>
public sealed class ObservabilitySettingsTests : IDisposable
{
    private readonly TempDir _directory = new("wharf-observability-");

    public void Dispose()
    {
        Wharf.Tests.Api.SqlitePools.ReleaseUnder(_directory.FullPath);
        _directory.Dispose();
    }

    private IReadOnlyList<string> Check(params (string Key, string? Value)[] settings) => StartupChecks.Run(_directory.Combine("data"), settings);

    [Fact]
    public void GoodSettings_NoProblems()
    {
        Assert.Empty(Check(
            ("Metrics:Urls", "http://127.0.0.1:5001;http://[::1]:5001"),
            ("Tracing:Otlp:Endpoint", "http://127.0.0.1:4317"),
            ("Tracing:Otlp:Protocol", "grpc"),
            ("Logging:Format", "json")));
    }

    [Theory]
    [InlineData("Metrics:Urls", "127.0.0.1:5001", "Metrics:Urls")]
    [InlineData("Metrics:Urls", "http://127.0.0.1", "explicit port")]
    [InlineData("Metrics:Urls", "http://127.0.0.1:5001/metrics", "Metrics:Urls")]
    [InlineData("Tracing:Otlp:Endpoint", "collector:4317", "Tracing:Otlp:Endpoint")]
    [InlineData("Logging:Format", "logfmt", "Logging:Format")]
    public void BadSetting_IsNamed(string key, string value, string expected)
    {
        var problems = Check((key, value));

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void MetricsOnTheRegistrysPort_IsNamed()
    {
        var problems = Check(("urls", "http://127.0.0.1:5000"), ("Metrics:Urls", "http://127.0.0.1:5000"));

        Assert.Contains(problems, p => p.Contains("port 5000 is also the registry's", StringComparison.Ordinal));
        Assert.Empty(Check(("urls", "http://127.0.0.1:5000"), ("Metrics:Urls", "http://127.0.0.1:5001")));
    }

    [Fact]
    public void UnknownOtlpProtocol_IsNamed()
    {
        var problems = Check(("Tracing:Otlp:Endpoint", "http://127.0.0.1:4318"), ("Tracing:Otlp:Protocol", "carrier-pigeon"));

        Assert.Contains(problems, p => p.Contains("Tracing:Otlp:Protocol", StringComparison.Ordinal));
    }
}
