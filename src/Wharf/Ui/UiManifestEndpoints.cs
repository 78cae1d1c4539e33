using System.Text.Json;
using Wharf.Api;
using Wharf.Auth;
using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Operations;
using Wharf.Registry;
using Wharf.Storage;

namespace Wharf.Ui;

/// <summary>
/// <c>/wharf/ui/api/manifest?repository=&amp;reference=</c>: what the image page shows of one
/// manifest (GET), and deleting a tag or a manifest from the page (DELETE). Pull on the
/// repository is needed to see it, delete to delete it, as through the registry API.
/// </summary>
internal static class UiManifestEndpoints
{
    public const string ManifestPath = "/wharf/ui/api/manifest";

    // Image configs are small (tens of KiB with a long history); a larger one is not read for a page.
    private const long MaxConfigBytes = 4 * 1024 * 1024;

    // The referrers tree stops here: a signature of an SBOM of an image is three levels.
    private const int MaxReferrerDepth = 4;
    private const int MaxReferrers = 200;

    public static IEndpointRouteBuilder MapUiManifestEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(ManifestPath, UiRequest.Handle(DescribeAsync));
        app.MapDelete(ManifestPath, UiRequest.Handle(DeleteAsync));
        return app;
    }

    /// <summary>Whether the caller may delete in <paramref name="repository"/> now: deletion is on,
    /// the registry is writable, and the access rules give the caller delete there.</summary>
    public static async Task<bool> MayDeleteAsync(HttpContext context, RepositoryName repository)
    {
        var services = context.RequestServices;
        return services.GetRequiredService<RegistryPolicy>().DeleteEnabled
            && !services.GetRequiredService<IReadOnlyMode>().IsReadOnly
            && await services.GetRequiredService<RegistryAuthorizer>().MayAsync(context, repository.Value, RegistryAction.Delete);
    }

    private static async Task<(RepositoryName Repository, Reference Reference)> TargetAsync(HttpContext context, RegistryAction action)
    {
        var repository = RepositoryName.Parse(context.Request.Query["repository"].ToString());
        await context.RequestServices.GetRequiredService<RegistryAuthorizer>().RequireAsync(context, repository.Value, action);
        return (repository, ManifestEndpoints.LookupReference(repository, context.Request.Query["reference"].ToString()));
    }

    private static async Task DeleteAsync(HttpContext context)
    {
        var (repository, reference) = await TargetAsync(context, RegistryAction.Delete);
        if (context.RequestServices.GetRequiredService<IReadOnlyMode>().IsReadOnly)
        {
            throw new RegistryException(ErrorCode.Unsupported, "the registry is read-only for maintenance; nothing can be deleted now", status: 405);
        }
        // The registry API's delete, with its rules (deletion may be off), events and cache upkeep.
        await context.RequestServices.GetRequiredService<ManifestService>().DeleteAsync(repository, reference, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private static async Task DescribeAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var cancellationToken = context.RequestAborted;
        var (repository, reference) = await TargetAsync(context, RegistryAction.Pull);
        var manifests = services.GetRequiredService<ManifestService>();
        var metadata = services.GetRequiredService<IMetadataStore>();
        var (content, bytes) = await StoredManifests.ReadAsync(manifests, repository, reference, cancellationToken);
        var record = content.Record;
        using var document = StoredManifests.Parse(bytes);
        var root = document?.RootElement ?? default;
        var isObject = root.ValueKind == JsonValueKind.Object;
        var config = isObject && root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var layers = isObject && root.TryGetProperty("layers", out var l) && l.ValueKind == JsonValueKind.Array ? l : default;
        var children = isObject && root.TryGetProperty("manifests", out var m) && m.ValueKind == JsonValueKind.Array ? m : default;

        var tags = await metadata.ListTagsOfManifestAsync(repository, record.Digest, 100, cancellationToken);
        using var imageConfig = await ReadImageConfigAsync(services.GetRequiredService<IBlobStorage>(), config, cancellationToken);
        var missingChildren = children.ValueKind == JsonValueKind.Array
            ? await metadata.FindMissingManifestsAsync(repository, DigestsOf(children), cancellationToken)
            : [];
        var referrers = await ReferrerTree.ReadAsync(manifests, repository, record.Digest, MaxReferrerDepth, MaxReferrers, cancellationToken);
        var mayDelete = await MayDeleteAsync(context, repository);

        await using var json = UiJson.Start(context);
        json.WriteStartObject();
        json.WriteString("repository", repository.Value);
        json.WriteString("reference", reference.ToString());
        UiJson.WriteManifestType(json, record.Digest, record.MediaType, record.ArtifactType);
        json.WriteNumber("size", record.Size);
        // What pulling it downloads: the manifest and what it lists (for an index, each child's
        // manifest only; the page shows each platform's own size on its page).
        json.WriteNumber("totalSize", record.Size + SizeOf(config) + SumOfSizes(layers) + SumOfSizes(children));
        json.WriteStartArray("tags");
        foreach (var tag in tags)
        {
            json.WriteStringValue(tag);
        }
        json.WriteEndArray();
        json.WritePropertyName("annotations");
        ImageConfigWriter.WriteStringMap(json, isObject && root.TryGetProperty("annotations", out var annotations) ? annotations : default);
        WriteDescriptor(json, "subject", isObject && root.TryGetProperty("subject", out var subject) ? subject : default);
        WriteDescriptor(json, "config", config);
        json.WritePropertyName("image");
        if (imageConfig?.RootElement is { ValueKind: JsonValueKind.Object } image)
        {
            ImageConfigWriter.Write(json, image);
        }
        else
        {
            json.WriteNullValue();
        }
        json.WriteStartArray("layers");
        foreach (var layer in Items(layers))
        {
            WriteDescriptorFields(json, layer, withAnnotations: true);
        }
        json.WriteEndArray();
        json.WriteStartArray("platforms");
        foreach (var child in Items(children))
        {
            json.WriteStartObject();
            json.WriteString("platform", StoredManifests.PlatformOf(child));
            var platform = child.TryGetProperty("platform", out var p) ? p : default;
            json.WriteString("os", StoredManifests.String(platform, "os"));
            json.WriteString("architecture", StoredManifests.String(platform, "architecture"));
            json.WriteString("variant", StoredManifests.String(platform, "variant"));
            WriteDescriptorBody(json, child);
            json.WriteBoolean("present", Digest.TryParse(StoredManifests.String(child, "digest"), out var childDigest) && !missingChildren.Contains(childDigest));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WritePropertyName("referrers");
        ReferrerTree.Write(json, referrers);
        json.WriteString("raw", System.Text.Encoding.UTF8.GetString(bytes));
        json.WriteBoolean("mayDelete", mayDelete);
        json.WriteEndObject();
    }

    private static async Task<JsonDocument?> ReadImageConfigAsync(IBlobStorage storage, JsonElement config, CancellationToken cancellationToken)
    {
        if (!MediaTypes.IsImageConfig(StoredManifests.String(config, "mediaType"))
            || !Digest.TryParse(StoredManifests.String(config, "digest"), out var digest)
            || SizeOf(config) is <= 0 or > MaxConfigBytes)
        {
            return null;
        }
        // A pull-through cache may hold an image without its config's bytes yet: then none is shown.
        await using var stream = await storage.OpenReadAsync(StoragePaths.Blob(digest), 0, cancellationToken);
        if (stream is null)
        {
            return null;
        }
        // The descriptor's size is the pusher's word: reading stops one byte past it, so a manifest
        // that points its config at a large layer costs no more than it claims, and is not shown.
        var buffer = new byte[SizeOf(config) + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }
        if (length != buffer.Length - 1)
        {
            return null;
        }
        try
        {
            return JsonDocument.Parse(buffer.AsMemory(0, length));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IEnumerable<JsonElement> Items(JsonElement array) =>
        array.ValueKind == JsonValueKind.Array ? array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object) : [];

    private static List<Digest> DigestsOf(JsonElement descriptors)
    {
        var digests = new List<Digest>();
        foreach (var descriptor in Items(descriptors))
        {
            if (Digest.TryParse(StoredManifests.String(descriptor, "digest"), out var digest) && !digests.Contains(digest))
            {
                digests.Add(digest);
            }
        }
        return digests;
    }

    private static long SizeOf(JsonElement descriptor) =>
        descriptor.ValueKind == JsonValueKind.Object && descriptor.TryGetProperty("size", out var size) && size.TryGetInt64(out var value) ? value : 0;

    private static long SumOfSizes(JsonElement descriptors) => Items(descriptors).Sum(SizeOf);

    private static void WriteDescriptor(Utf8JsonWriter json, string name, JsonElement descriptor)
    {
        json.WritePropertyName(name);
        if (descriptor.ValueKind != JsonValueKind.Object)
        {
            json.WriteNullValue();
            return;
        }
        WriteDescriptorFields(json, descriptor, withAnnotations: false);
    }

    private static void WriteDescriptorFields(Utf8JsonWriter json, JsonElement descriptor, bool withAnnotations)
    {
        json.WriteStartObject();
        WriteDescriptorBody(json, descriptor);
        if (withAnnotations)
        {
            json.WritePropertyName("annotations");
            ImageConfigWriter.WriteStringMap(json, descriptor.TryGetProperty("annotations", out var annotations) ? annotations : default);
        }
        json.WriteEndObject();
    }

    private static void WriteDescriptorBody(Utf8JsonWriter json, JsonElement descriptor)
    {
        json.WriteString("digest", StoredManifests.String(descriptor, "digest"));
        json.WriteString("mediaType", StoredManifests.String(descriptor, "mediaType"));
        json.WriteNumber("size", SizeOf(descriptor));
    }
}
