using Microsoft.Extensions.Options;
using Wharf.Api;

namespace Wharf.Observability;

/// <summary>
/// <c>/metrics</c> on a listener of its own (<c>Metrics:Urls</c>): Kestrel listens on those
/// addresses too, and requests that arrive there reach only the Prometheus endpoint and the health
/// probes. On the registry's own port <c>/metrics</c> does not exist.
/// </summary>
internal static class MetricsListener
{
    /// <summary>The addresses the server listens on: the registry's own (ASP.NET's <c>Urls</c>,
    /// <c>http://localhost:5000</c> when unset) and, when metrics are on, the metrics listener's.</summary>
    public static void AddMetricsUrls(WebApplicationBuilder builder)
    {
        var metrics = builder.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        if (!metrics.Enabled || metrics.Validate().Any())
        {
            return; // the start-up check stops the server with a message
        }
        // Checked here, before the metrics URLs join the host's "urls" setting; afterwards they
        // would look like registry URLs themselves.
        var clash = Problem(builder.Configuration);
        builder.Services.AddSingleton(new MetricsPortCheck(clash));
        if (clash is not null)
        {
            return;
        }
        builder.WebHost.UseUrls([.. RegistryUrls(builder.Configuration), .. metrics.ParsedUrls().Select(u => u.ToString().TrimEnd('/'))]);
    }

    /// <summary>A metrics listener on one of the registry's own ports would hide the registry
    /// behind it (that port answers only /metrics and the probes): named at start.</summary>
    public static string? Problem(IConfiguration? configuration)
    {
        var metrics = configuration?.GetSection(MetricsOptions.Section).Get<MetricsOptions>();
        if (configuration is null || metrics is null || !metrics.Enabled || metrics.Validate().Any())
        {
            return null;
        }
        var registryPorts = RegistryUrls(configuration)
            .Select(u => Uri.TryCreate(u.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri.Port : -1)
            .ToHashSet();
        return metrics.ParsedUrls().FirstOrDefault(u => registryPorts.Contains(u.Port)) is { } clash
            ? $"Metrics:Urls: port {clash.Port} is also the registry's (urls); give the metrics a port of their own"
            : null;
    }

    /// <summary>The verdict of <see cref="Problem"/> taken before the URLs were merged, for the start-up check.</summary>
    internal sealed record MetricsPortCheck(string? Clash);

    /// <summary>The port clash for the start-up check: the verdict taken at build time when the
    /// server merged the URLs, otherwise (wharf config check) the configuration as it stands.</summary>
    public static string? Problem(IServiceProvider services) =>
        services.GetService<MetricsPortCheck>() is { } check ? check.Clash : Problem(services.GetService<IConfiguration>());

    private static string[] RegistryUrls(IConfiguration configuration) =>
        (configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } urls ? urls : "http://localhost:5000")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static WebApplication UseMetricsListener(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (!metrics.Enabled)
        {
            return app;
        }
        var ports = metrics.ParsedUrls().Select(u => u.Port).ToHashSet();
        // Created now, so the GC and storage gauges exist from the first scrape.
        app.Services.GetRequiredService<RegistryGauges>();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => ports.Contains(context.Connection.LocalPort) && context.Request.Path == "/metrics");
        app.Use((context, next) =>
        {
            if (ports.Contains(context.Connection.LocalPort) && context.Request.Path.Value is not ("/healthz" or "/readyz"))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            return next(context);
        });
        return app;
    }
}
