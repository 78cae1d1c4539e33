using System.Globalization;
using System.Text.Json;

namespace Wharf.Ui;

/// <summary>How the web UI's JSON API writes its answers.</summary>
internal static class UiJson
{
    public static Utf8JsonWriter Start(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        // What a caller may see changes with every push and with the access rules: never cached.
        context.Response.Headers.CacheControl = "no-store";
        // The default encoder (not the API's relaxed one): these bodies feed a browser page.
        return new Utf8JsonWriter(context.Response.Body);
    }

    public static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? time)
    {
        if (time is { } value)
        {
            json.WriteString(name, value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    /// <summary>A manifest's digest, media type, kind (image, index or artifact) and, for an
    /// artifact, its type (the stored one: its <c>artifactType</c>, else its config's media type).</summary>
    public static void WriteManifestType(Utf8JsonWriter json, Wharf.Distribution.Digest digest, string mediaType, string? artifactType)
    {
        json.WriteString("digest", digest.ToString());
        json.WriteString("mediaType", mediaType);
        var kind = ManifestKind.Of(mediaType, artifactType);
        json.WriteString("kind", kind);
        json.WriteString("artifactType", kind == ManifestKind.Artifact ? artifactType : null);
    }
}
