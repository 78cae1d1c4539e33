using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Wharf.Api;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Observability;

/// <summary>
/// <c>/healthz</c> (the process answers: for a liveness probe) and <c>/readyz</c> (it can serve:
/// the metadata store answers, the storage takes writes and has room, the server is not shutting
/// down: for a readiness probe or a load balancer). Outside <c>/v2/</c>, never behind sign-in, and
/// cheap enough to poll every second: the storage probe writes at most once every few seconds.
/// </summary>
internal static class HealthChecks
{
    public const string ReadyTag = "ready";

    public static IServiceCollection AddWharfHealthChecks(this IServiceCollection services)
    {
        services.AddSingleton<StorageProbe>();
        services.AddHealthChecks()
            .AddCheck<ShutdownCheck>("shutdown", tags: [ReadyTag])
            .AddCheck<MetadataStoreCheck>("metadata", tags: [ReadyTag])
            .AddCheck<StorageCheck>("storage", tags: [ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapWharfHealthChecks(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = WriteAsync,
        });
        app.MapHealthChecks("/readyz", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteAsync,
        });
        return app;
    }

    // {"status":"Healthy","checks":{"metadata":{"status":"Healthy","description":"..."}, ...}}
    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(context.Response.Body, ApiJsonWriter.Options);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            if (entry.Description is { } description)
            {
                json.WriteString("description", description);
            }
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private sealed class ShutdownCheck(IHostApplicationLifetime lifetime) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
            Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
                ? HealthCheckResult.Unhealthy("shutting down")
                : HealthCheckResult.Healthy("serving"));
    }

    private sealed class MetadataStoreCheck(IMetadataStore metadata) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
        {
            try
            {
                // One read of a one-row table: proves the store answers, costs nothing.
                await metadata.GetProgressAsync("readyz", cancellationToken);
                return HealthCheckResult.Healthy("answers");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"does not answer: {e.Message}");
            }
        }
    }

    private sealed class StorageCheck(StorageProbe probe) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
        {
            var (healthy, description) = await probe.CheckAsync(cancellationToken);
            return healthy ? HealthCheckResult.Healthy(description) : HealthCheckResult.Unhealthy(description);
        }
    }
}

/// <summary>Whether the storage takes writes (a small object written and deleted, at most every
/// <see cref="Interval"/>; the last answer in between) and, on the filesystem, has the room
/// <see cref="StorageOptions.MinFreeBytes"/> asks for (checked every time: a statfs call).</summary>
internal sealed class StorageProbe(IBlobStorage storage, IOptions<StorageOptions> options, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    // One object per process: replicas sharing a bucket never write the same key at once.
    private static readonly string ProbePath = $"{StoragePaths.Root}/_wharf/readyz-{Guid.NewGuid():N}";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;
    private string? _writeProblem;

    public async Task<(bool Healthy, string Description)> CheckAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.MinFreeBytes > 0 && !settings.UsesS3)
        {
            var free = new DriveInfo(Path.GetFullPath(settings.Root)).AvailableFreeSpace;
            if (free < settings.MinFreeBytes)
            {
                return (false, $"{free} bytes free under Storage:Root, less than Storage:MinFreeBytes ({settings.MinFreeBytes})");
            }
        }
        if (settings.ReadOnly)
        {
            return (true, "read-only (Storage:ReadOnly): pulls only");
        }
        var problem = await WriteProblemAsync(cancellationToken);
        return problem is null ? (true, "writable") : (false, problem);
    }

    private async Task<string?> WriteProblemAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (time.GetUtcNow() - _checkedAt < Interval)
            {
                return _writeProblem;
            }
            try
            {
                await using (var writer = await storage.OpenAppendWriterAsync(ProbePath, cancellationToken))
                {
                    await writer.WriteAsync("ok"u8.ToArray(), cancellationToken);
                    await writer.CommitAsync(cancellationToken);
                }
                await storage.DeleteAsync(ProbePath, cancellationToken);
                _writeProblem = null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException)
            {
                _writeProblem = $"cannot write: {e.Message}";
            }
            _checkedAt = time.GetUtcNow();
            return _writeProblem;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
