namespace Wharf.Observability;

/// <summary>The Prometheus endpoint (section <c>Metrics</c>).</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Where <c>/metrics</c> is served, e.g. <c>http://127.0.0.1:5001</c> (several separated
    /// by <c>;</c>): a listener of its own, never the registry's port, so the numbers are not open to
    /// every registry client. Unset: no metrics, and nothing is measured.</summary>
    public string? Urls { get; set; }

    /// <summary>How old the stored total (<c>wharf_storage_size_bytes</c>, a query over every
    /// blob) may be before a scrape asks for a new one.</summary>
    public TimeSpan StorageRefresh { get; set; } = TimeSpan.FromMinutes(1);

    public bool Enabled => !string.IsNullOrWhiteSpace(Urls);

    public IReadOnlyList<Uri> ParsedUrls() =>
        Enabled ? [.. Urls!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => new Uri(u))] : [];

    public IEnumerable<string> Validate()
    {
        if (!Enabled)
        {
            yield break;
        }
        if (StorageRefresh < TimeSpan.FromSeconds(1))
        {
            yield return "Metrics:StorageRefresh must be at least one second";
        }
        foreach (var url in Urls!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
            {
                yield return $"Metrics:Urls: '{url}' is not a listening address such as http://127.0.0.1:5001";
            }
            else if (uri.IsDefaultPort || uri.Port == 0)
            {
                yield return $"Metrics:Urls: '{url}' needs an explicit port of its own (e.g. http://127.0.0.1:5001)";
            }
        }
    }
}

/// <summary>OpenTelemetry traces (section <c>Tracing</c>).</summary>
public sealed class TracingOptions
{
    public const string Section = "Tracing";

    public OtlpOptions Otlp { get; set; } = new();

    /// <summary>The share of requests traced, 0 to 1 (a trace the caller started is followed as
    /// its parent says).</summary>
    public double SampleRatio { get; set; } = 1.0;

    public bool Enabled => !string.IsNullOrWhiteSpace(Otlp.Endpoint);

    public IEnumerable<string> Validate()
    {
        if (!Enabled)
        {
            yield break;
        }
        if (!Uri.TryCreate(Otlp.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            yield return $"Tracing:Otlp:Endpoint: '{Otlp.Endpoint}' is not an http or https URL";
        }
        if (Otlp.Protocol is not (OtlpOptions.Grpc or OtlpOptions.HttpProtobuf))
        {
            yield return $"Tracing:Otlp:Protocol: '{Otlp.Protocol}' is neither {OtlpOptions.Grpc} nor {OtlpOptions.HttpProtobuf}";
        }
        if (SampleRatio is < 0 or > 1)
        {
            yield return "Tracing:SampleRatio must be between 0 and 1";
        }
    }
}

/// <summary>Where spans go: an OpenTelemetry collector, Jaeger, Tempo... anything that speaks OTLP.</summary>
public sealed class OtlpOptions
{
    public const string Grpc = "grpc";
    public const string HttpProtobuf = "http/protobuf";

    /// <summary>e.g. <c>http://127.0.0.1:4317</c> (gRPC) or <c>http://127.0.0.1:4318/v1/traces</c> (HTTP).</summary>
    public string? Endpoint { get; set; }

    public string Protocol { get; set; } = Grpc;

    /// <summary>Sent with every export, e.g. an API key: <c>Headers:x-api-key: ...</c>.</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>How the log is written (key <c>Logging:Format</c>).</summary>
public static class LogFormat
{
    public const string Key = "Logging:Format";
    public const string Text = "text";
    public const string Json = "json";
}
