using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Wharf.Diagnostics;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Observability;

/// <summary>
/// Metrics and traces through OpenTelemetry .NET: the Prometheus exporter serves <c>/metrics</c>
/// on the <c>Metrics:Urls</c> listener, the OTLP exporter sends spans to <c>Tracing:Otlp:Endpoint</c>.
/// Neither is registered when its setting is unset, so the instruments find no listener and cost
/// nothing.
/// </summary>
internal static class TelemetryServices
{
    public static IServiceCollection AddWharfTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MetricsOptions>().Bind(configuration.GetSection(MetricsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MetricsOptions>>(new Configuration.WharfServices.DelegateValidator<MetricsOptions>(o => o.Validate()));
        services.AddOptions<TracingOptions>().Bind(configuration.GetSection(TracingOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TracingOptions>>(new Configuration.WharfServices.DelegateValidator<TracingOptions>(o => o.Validate()));

        var metrics = configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        var tracing = configuration.GetSection(TracingOptions.Section).Get<TracingOptions>() ?? new TracingOptions();
        if (!metrics.Enabled && !tracing.Enabled)
        {
            return services;
        }
        var telemetry = services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("wharf", serviceInstanceId: Environment.MachineName));
        if (metrics.Enabled)
        {
            services.AddSingleton<RegistryGauges>();
            telemetry.WithMetrics(meters => meters
                .AddMeter(WharfTelemetry.Name, RegistryGauges.MeterName, "System.Runtime")
                .AddPrometheusExporter(prometheus =>
                {
                    // Every scrape sees the counters as they are now (the default caches 300 ms).
                    prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
                    prometheus.TargetInfoEnabled = false;
                    prometheus.ScopeInfoEnabled = false;
                }));
        }
        if (tracing.Enabled)
        {
            telemetry.WithTracing(traces => traces
                // ASP.NET's request span is the parent; Npgsql traces its commands under Wharf's store spans.
                .AddSource(WharfTelemetry.Name, "Microsoft.AspNetCore", "Npgsql")
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(tracing.SampleRatio)))
                .AddOtlpExporter(otlp =>
                {
                    otlp.Endpoint = new Uri(tracing.Otlp.Endpoint!);
                    otlp.Protocol = tracing.Otlp.Protocol == OtlpOptions.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                    otlp.Headers = string.Join(',', tracing.Otlp.Headers.Select(h => $"{h.Key}={h.Value}"));
                }));
        }
        return services;
    }

    /// <summary>Whether the stores are wrapped to be timed and traced.</summary>
    public static bool Instruments(IConfiguration configuration) =>
        (configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>()?.Enabled ?? false)
        || (configuration.GetSection(TracingOptions.Section).Get<TracingOptions>()?.Enabled ?? false);

    public static IMetadataStore Instrument(IMetadataStore store, bool instrument) => instrument ? new InstrumentedMetadataStore(store) : store;

    public static IBlobStorage Instrument(IBlobStorage storage, bool instrument) => instrument ? new InstrumentedBlobStorage(storage) : storage;

    /// <summary>The store behind the instrumentation, for the few places that need its type.</summary>
    public static IMetadataStore Unwrap(IMetadataStore store) => store is InstrumentedMetadataStore instrumented ? instrumented.Inner : store;

    public static IBlobStorage Unwrap(IBlobStorage storage) => storage is InstrumentedBlobStorage instrumented ? instrumented.Inner : storage;
}
