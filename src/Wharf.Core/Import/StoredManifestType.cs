using System.Text.Json;
using Wharf.Distribution;

namespace Wharf.Import;

/// <summary>
/// What kind of manifest a stored body is. Distribution keeps no Content-Type with a manifest, so
/// its type comes from the body alone, the way distribution 2.8 decides it when serving
/// (<c>manifestStore.Get</c>): schemaVersion 1 is schema1; otherwise the body's mediaType; and a
/// body without one (allowed for OCI) is an image index when it has <c>manifests</c>, else an
/// OCI image manifest.
/// </summary>
internal static class StoredManifestType
{
    /// <returns><see cref="IsSchema1"/>; otherwise the Content-Type to hand <c>ManifestParser</c>,
    /// null to let it take the body's mediaType (or report why the body is not a manifest).</returns>
    public static (bool IsSchema1, string? ContentType) Detect(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (false, null);
            }
            if (root.TryGetProperty("schemaVersion", out var version) && version.ValueKind == JsonValueKind.Number
                && version.TryGetInt32(out var v) && v == 1)
            {
                return (true, null);
            }
            if (root.TryGetProperty("mediaType", out var mediaType) && mediaType.ValueKind != JsonValueKind.Null)
            {
                var declared = mediaType.ValueKind == JsonValueKind.String ? mediaType.GetString() : null;
                return (declared is not null && MediaTypes.IsSchema1(declared), null);
            }
            var isIndex = root.TryGetProperty("manifests", out var manifests) && manifests.ValueKind != JsonValueKind.Null;
            return (false, isIndex ? MediaTypes.OciIndex : MediaTypes.OciManifest);
        }
        catch (JsonException)
        {
            return (false, null);
        }
    }
}
