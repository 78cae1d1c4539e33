using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Wharf.Api;

internal sealed record TagList(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags);

internal sealed record Catalog(
    [property: JsonPropertyName("repositories")] IReadOnlyList<string> Repositories);

/// <summary>How the API writes JSON.</summary>
internal static class ApiJsonWriter
{
    /// <summary>Media types carry '+', which the default encoder escapes as \u002B: valid JSON, but
    /// unreadable. The bodies are never embedded in HTML, so the relaxed encoder is safe here.</summary>
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes a listing as the response's body, with its Content-Length. A listing is
    /// already whole in memory (one page, or the tags of one repository), so its JSON is too: the
    /// client learns its length, and the request log and metrics count the bytes sent, which a
    /// chunked body would leave at 0.</summary>
    public static Task WriteAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type, string contentType)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(value, type);
        return WriteAsync(context, body, contentType);
    }

    /// <inheritdoc cref="WriteAsync{T}(HttpContext, T, JsonTypeInfo{T}, string)"/>
    public static Task WriteAsync(HttpContext context, ReadOnlyMemory<byte> body, string contentType)
    {
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}

/// <summary>Source-generated serialisation for the API's JSON bodies (no reflection at run time).</summary>
[JsonSerializable(typeof(TagList))]
[JsonSerializable(typeof(Catalog))]
internal sealed partial class ApiJson : JsonSerializerContext;
