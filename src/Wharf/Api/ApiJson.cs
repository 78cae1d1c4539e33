using System.Text.Json.Serialization;

namespace Wharf.Api;

internal sealed record TagList(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags);

internal sealed record Catalog(
    [property: JsonPropertyName("repositories")] IReadOnlyList<string> Repositories);

/// <summary>Source-generated serialisation for the API's JSON bodies (no reflection at run time).</summary>
[JsonSerializable(typeof(TagList))]
[JsonSerializable(typeof(Catalog))]
internal sealed partial class ApiJson : JsonSerializerContext;
