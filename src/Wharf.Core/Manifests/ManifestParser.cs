using System.Buffers;
using System.Text.Json;
using Wharf.Distribution;

namespace Wharf.Manifests;

/// <summary>
/// Parses and validates the four manifest formats the registry stores: Docker schema2 manifest
/// and manifest list, OCI image manifest and index (artifacts included). The bytes are never
/// rewritten; parsing only extracts what the registry must check and index.
/// </summary>
public static class ManifestParser
{
    /// <summary>The largest manifest accepted; the distribution spec suggests 4 MiB.</summary>
    public const int MaxManifestBytes = 4 * 1024 * 1024;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    /// <summary>Reads a manifest body of at most <see cref="MaxManifestBytes"/> (a pushed one, or one
    /// fetched from an upstream): a body that claims no length is still never buffered past it.</summary>
    public static async Task<byte[]> ReadBoundedAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var filled = 0;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length > MaxManifestBytes)
                    {
                        throw TooLarge();
                    }
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxManifestBytes + 1));
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await body.ReadAsync(buffer.AsMemory(filled), cancellationToken);
                if (read == 0)
                {
                    break;
                }
                filled += read;
                if (filled > MaxManifestBytes)
                {
                    throw TooLarge();
                }
            }
            return buffer.AsSpan(0, filled).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Distribution spec: a registry may refuse a large manifest, with 413.
    public static RegistryException TooLarge() =>
        new(ErrorCode.ManifestInvalid, $"manifest is larger than {MaxManifestBytes} bytes", status: 413);

    /// <param name="contentType">The request's Content-Type, parameters allowed; may be null.</param>
    public static ParsedManifest Parse(ReadOnlyMemory<byte> body, string? contentType)
    {
        // JSON is UTF-8 (RFC 8259, 8.1), and JsonDocument checks only the strings it is asked to read.
        if (!System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            throw Invalid("manifest is not valid UTF-8");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, Options);
        }
        catch (JsonException e)
        {
            throw Invalid($"manifest is not valid JSON: {e.Message}");
        }
        using (document)
        {
            try
            {
                return Interpret(document.RootElement, contentType);
            }
            catch (InvalidOperationException e)
            {
                // JsonDocument defers some checks (invalid UTF-8 inside a string) to the read.
                throw Invalid($"manifest is not valid JSON: {e.Message}");
            }
        }
    }

    private static ParsedManifest Interpret(JsonElement root, string? contentType)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("manifest must be a JSON object");
        }
        var mediaType = ResolveMediaType(root, contentType);
        var schemaVersion = root.TryGetProperty("schemaVersion", out var sv) && sv.ValueKind == JsonValueKind.Number && sv.TryGetInt32(out var v) ? v : (int?)null;
        if (schemaVersion != 2)
        {
            throw Invalid("schemaVersion must be 2");
        }
        // An empty artifactType counts as none (distribution spec, "Listing Referrers").
        var artifactType = NullIfEmpty(OptionalString(root, "artifactType"));
        var subject = root.TryGetProperty("subject", out var s) && s.ValueKind != JsonValueKind.Null ? ReadDescriptor(s, "subject") : null;
        var annotations = root.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object ? a.GetRawText() : null;

        if (MediaTypes.IsIndex(mediaType))
        {
            return new ParsedManifest
            {
                MediaType = mediaType,
                Manifests = ReadDescriptorArray(root, "manifests", required: true),
                Subject = subject,
                ArtifactType = StorableText(artifactType, "artifactType"),
                AnnotationsJson = annotations,
            };
        }

        if (!root.TryGetProperty("config", out var configElement))
        {
            throw Invalid("an image manifest must have a config descriptor");
        }
        var config = ReadDescriptor(configElement, "config");
        return new ParsedManifest
        {
            MediaType = mediaType,
            Config = config,
            Layers = ReadDescriptorArray(root, "layers", required: mediaType == MediaTypes.DockerManifest),
            Subject = subject,
            ArtifactType = StorableText(artifactType ?? config.MediaType, artifactType is null ? "config.mediaType" : "artifactType"),
            AnnotationsJson = annotations,
        };
    }

    /// <summary>Strips parameters (<c>; charset=utf-8</c>) and whitespace from a Content-Type.</summary>
    public static string? NormalizeContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon >= 0 ? contentType[..semicolon] : contentType).Trim().ToLowerInvariant();
    }

    // The Content-Type names the format; the body's mediaType, when present, must agree with it.
    // A client that sends no specific Content-Type is taken at the body's word.
    private static string ResolveMediaType(JsonElement root, string? contentType)
    {
        var declared = OptionalString(root, "mediaType");
        var header = NormalizeContentType(contentType);
        if (header is null or "application/json" or MediaTypes.OctetStream)
        {
            header = null;
        }
        var mediaType = header ?? declared ?? throw Invalid("the manifest's media type is unknown: send it as Content-Type");
        if (MediaTypes.IsSchema1(mediaType) || (declared is not null && MediaTypes.IsSchema1(declared)))
        {
            throw Invalid("Docker schema1 manifests are not supported: push a schema2 or OCI manifest");
        }
        if (!MediaTypes.IsManifest(mediaType))
        {
            throw Invalid($"unsupported manifest media type '{InputText.Clip(mediaType)}'");
        }
        if (declared is not null && declared != mediaType)
        {
            throw Invalid($"Content-Type '{mediaType}' does not match the manifest's mediaType '{InputText.Clip(declared)}'");
        }
        return mediaType;
    }

    private static List<Descriptor> ReadDescriptorArray(JsonElement root, string property, bool required)
    {
        if (!root.TryGetProperty(property, out var array) || array.ValueKind == JsonValueKind.Null)
        {
            return required ? throw Invalid($"'{property}' is required") : [];
        }
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw Invalid($"'{property}' must be an array");
        }
        var list = new List<Descriptor>(array.GetArrayLength());
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            list.Add(ReadDescriptor(item, $"{property}[{i++}]"));
        }
        return list;
    }

    private static Descriptor ReadDescriptor(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid($"{where} must be a descriptor object");
        }
        var mediaType = OptionalString(element, "mediaType") ?? throw Invalid($"{where}.mediaType is required");
        var digestText = OptionalString(element, "digest") ?? throw Invalid($"{where}.digest is required");
        if (!Digest.TryParse(digestText, out var digest))
        {
            throw Invalid($"{where}.digest '{InputText.Clip(digestText)}' is not a valid digest");
        }
        if (!element.TryGetProperty("size", out var sizeElement) || sizeElement.ValueKind != JsonValueKind.Number
            || !sizeElement.TryGetInt64(out var size) || size < 0)
        {
            throw Invalid($"{where}.size must be a non-negative integer");
        }
        var hasUrls = element.TryGetProperty("urls", out var urls) && urls.ValueKind == JsonValueKind.Array && urls.GetArrayLength() > 0;
        return new Descriptor(mediaType, digest, size)
        {
            ArtifactType = OptionalString(element, "artifactType"),
            HasUrls = hasUrls,
        };
    }

    // The artifact type is stored as text and matched in queries. A media type (RFC 6838 4.2) has
    // no control characters; and PostgreSQL's text cannot hold U+0000 nor a lone surrogate.
    private static string? StorableText(string? value, string property)
    {
        if (value is null)
        {
            return null;
        }
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                throw Invalid($"'{property}' must not contain control characters");
            }
            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    throw Invalid($"'{property}' is not valid Unicode");
                }
                i++;
            }
        }
        return value;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string? OptionalString(JsonElement element, string property)
    {
        if (!element.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw Invalid($"'{property}' must be a string");
    }

    private static RegistryException Invalid(string detail) => new(ErrorCode.ManifestInvalid, detail);
}
