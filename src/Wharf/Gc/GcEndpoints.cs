using System.Text.Json;
using Microsoft.Extensions.Options;
using Wharf.Api;
using Wharf.Auth;
using Wharf.Configuration;
using Wharf.Metadata;

namespace Wharf.Gc;

/// <summary>
/// <c>GET /wharf/gc</c>: what the registry stores and what garbage collection can give back, for
/// operators (admins only when auth is on). Stored bytes in total and per repository (what it holds,
/// each blob once, and what only it holds), what a collection now would free, the review queue, and
/// what this process's collector has done since it started.
/// </summary>
internal static class GcEndpoints
{
    public const string Path = "/wharf/gc";

    public static IEndpointRouteBuilder MapGcEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, ReportAsync);
        return app;
    }

    private static async Task ReportAsync(HttpContext context)
    {
        var services = context.RequestServices;
        await services.GetRequiredService<RegistryAuthorizer>().RequireAdminAsync(context);
        var metadata = services.GetRequiredService<IMetadataStore>();
        var options = services.GetRequiredService<IOptions<GcOptions>>().Value;
        var statistics = services.GetRequiredService<GarbageCollector>().Statistics;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var usage = await metadata.GetStorageUsageAsync(now, context.RequestAborted);
        var plan = await metadata.PlanCollectionAsync(now, options.DeleteUntagged, context.RequestAborted);

        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body, ApiJsonWriter.Options);
        json.WriteStartObject();
        json.WriteNumber("blobs", usage.Blobs);
        json.WriteNumber("bytes", usage.Bytes);
        json.WriteStartObject("reclaimable");
        json.WriteNumber("blobs", plan.Blobs.Count);
        json.WriteNumber("bytes", plan.Bytes);
        json.WriteNumber("links", plan.Links.Count);
        json.WriteNumber("manifests", plan.Manifests.Count);
        json.WriteNumber("waiting", plan.Waiting.Count);
        json.WriteEndObject();
        json.WriteStartObject("reviews");
        json.WriteNumber("queued", usage.QueuedReviews);
        json.WriteNumber("due", usage.DueReviews);
        json.WriteEndObject();
        json.WriteStartObject("collector");
        json.WriteBoolean("enabled", options.Enabled);
        json.WriteString("reviewDelay", options.ReviewDelay.ToString());
        json.WriteBoolean("deleteUntagged", options.DeleteUntagged);
        json.WriteString("sweep", options.Sweep?.ToString());
        json.WriteStartObject("sinceStart");
        json.WriteNumber("reviews", statistics.Reviews);
        json.WriteNumber("blobsDeleted", statistics.BlobsDeleted);
        json.WriteNumber("bytesFreed", statistics.BytesFreed);
        json.WriteNumber("linksRemoved", statistics.LinksRemoved);
        json.WriteNumber("manifestsDeleted", statistics.ManifestsDeleted);
        json.WriteNumber("uploadsPurged", statistics.UploadsPurged);
        if (statistics.LastPass is { } last)
        {
            json.WriteString("lastPass", last);
        }
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartArray("repositories");
        foreach (var repository in usage.Repositories)
        {
            json.WriteStartObject();
            json.WriteString("name", repository.Repository.Value);
            json.WriteNumber("blobs", repository.Blobs);
            json.WriteNumber("bytes", repository.Bytes);
            json.WriteNumber("exclusiveBytes", repository.ExclusiveBytes);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
