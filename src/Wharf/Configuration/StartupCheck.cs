using Microsoft.Extensions.Options;
using Wharf.Auth;
using Wharf.Metadata;
using Wharf.Storage;
using Wharf.Storage.S3;

namespace Wharf.Configuration;

/// <summary>Checks every setting and opens storage before the server listens, reporting every
/// problem at once: a bad setting stops Wharf at start with a clear message, not at the first push.</summary>
public static class StartupCheck
{
    public static IReadOnlyList<string> Run(IServiceProvider services)
    {
        var failures = CheckSettings(services);
        if (failures.Count > 0)
        {
            return failures;
        }
        try
        {
            services.GetRequiredService<IBlobStorage>();
            services.GetRequiredService<IMetadataStore>();
            services.GetRequiredService<RegistryAuthorizer>();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException
            or System.Security.Cryptography.CryptographicException or Microsoft.Data.Sqlite.SqliteException)
        {
            // A key that is not a key, a file that is not what its setting says: reported, not thrown.
            failures.Add(e.Message);
        }
        catch (Npgsql.NpgsqlException e)
        {
            // Unreachable server, refused login, missing database: say which setting leads there.
            failures.Add($"Metadata:ConnectionString: cannot open the PostgreSQL database: {MetadataStores.Reason(e)}");
        }
        if (failures.Count == 0 && Observability.TelemetryServices.Unwrap(services.GetRequiredService<IBlobStorage>()) is S3BlobStorage s3)
        {
            // A wrong bucket, endpoint or key shows now, not at the first push. The SDK retries
            // an unreachable endpoint a few times; the wait is bounded.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            if (s3.CheckAccessAsync(timeout.Token).GetAwaiter().GetResult() is { } problem)
            {
                failures.Add(problem);
            }
        }
        return failures;
    }

    /// <summary>Every problem with the settings themselves (the options' own checks: values, files
    /// they name), without opening storage or the metadata store: what <c>wharf config check</c>
    /// reports, and the first half of <see cref="Run"/>.</summary>
    public static List<string> CheckSettings(IServiceProvider services)
    {
        var failures = new List<string>();
        void Check(Action resolve)
        {
            try
            {
                resolve();
            }
            catch (OptionsValidationException e)
            {
                failures.AddRange(e.Failures);
            }
            catch (InvalidOperationException e)
            {
                // Binding: a value that is not of its setting's type ("Failed to convert ... 'maybe' to bool").
                failures.Add(e.Message);
            }
        }
        Check(() => _ = services.GetRequiredService<IOptions<StorageOptions>>().Value);
        Check(() => _ = services.GetRequiredService<IOptions<MetadataOptions>>().Value);
        Check(() => _ = services.GetRequiredService<IOptions<AuthOptions>>().Value);
        Check(() => _ = services.GetRequiredService<IOptions<TlsOptions>>().Value);
        Check(() => _ = services.GetRequiredService<IOptions<LimitOptions>>().Value);
        Check(() => _ = services.GetRequiredService<IOptions<CacheOptions>>().Value);
        Check(() => _ = services.GetRequiredService<IOptions<Server.MemoryOptions>>().Value);
        Check(() => _ = services.GetRequiredService<IOptions<Server.HttpOptions>>().Value);
        Check(() => _ = services.GetRequiredService<IOptions<Observability.MetricsOptions>>().Value);
        Check(() => _ = services.GetRequiredService<IOptions<Observability.TracingOptions>>().Value);
        if (services.GetService<IOptions<Ui.UiOptions>>() is { } ui)
        {
            Check(() => _ = ui.Value);
        }
        if (services.GetService<IOptions<Events.NotificationOptions>>() is { } notifications)
        {
            Check(() => _ = notifications.Value);
        }
        if (services.GetService<IOptions<Proxy.ProxyOptions>>() is { } proxy)
        {
            Check(() => _ = proxy.Value);
        }
        if (Observability.LogSetup.Problem(services.GetService<IConfiguration>()) is { } logFormat)
        {
            failures.Add(logFormat);
        }
        if (Observability.MetricsListener.Problem(services) is { } metricsPort)
        {
            failures.Add(metricsPort);
        }
        return failures;
    }
}
