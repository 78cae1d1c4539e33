using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Wharf.Api;

internal sealed record TagList(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags);

internal sealed record Catalog(
    [property: JsonPropertyName("repositories")] IReadOnlyList<string> Repositories);

/// <summary>How the API writes JSON by hand.</summary>
internal static class ApiJsonWriter
{
    /// <summary>Media types carry '+', which the default encoder escapes as \u002B: valid JSON, but
    /// unreadable. The bodies are never embedded in HTML, so the relaxed encoder is safe here.</summary>
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

/// <summary>Source-generated serialisation for the API's JSON bodies (no reflection at run time).</summary>
[JsonSerializable(typeof(TagList))]
[JsonSerializable(typeof(Catalog))]
internal sealed partial class ApiJson : JsonSerializerContext;
