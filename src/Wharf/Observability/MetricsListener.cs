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
            return; // the validation stops the server with a message
        }
        var registry = builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } urls ? urls : "http://localhost:5000";
        builder.WebHost.UseUrls([.. registry.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), .. metrics.ParsedUrls().Select(u => u.ToString().TrimEnd('/'))]);
    }

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
