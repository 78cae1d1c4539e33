using System.Text.Json;
using Wharf.Distribution;
using Wharf.Registry;

namespace Wharf.Ui;

/// <summary>Reads manifests (and image configs) as stored, for the pages that show what is inside
/// them: the same bytes a pull gets, through the same service and its in-memory cache.</summary>
internal static class StoredManifests
{
    public static async Task<(ManifestContent Content, byte[] Bytes)> ReadAsync(ManifestService manifests, RepositoryName repository, Reference reference, CancellationToken cancellationToken)
    {
        var content = await manifests.GetAsync(repository, reference, cancellationToken);
        if (content.Bytes is { } bytes)
        {
            return (content, bytes);
        }
        // Larger than the cache keeps in memory, still at most the 4 MiB a push may carry.
        await using var stream = await content.OpenAsync(cancellationToken)
            ?? throw new RegistryException(ErrorCode.ManifestUnknown, $"the bytes of manifest {content.Record.Digest} are missing from storage");
        bytes = new byte[content.Record.Size];
        await stream.ReadExactlyAsync(bytes, cancellationToken);
        return (content, bytes);
    }

    /// <summary>Parses stored manifest bytes; null when they are not JSON (nothing the registry
    /// accepts, but the page must not fail on it).</summary>
    public static JsonDocument? Parse(byte[] bytes)
    {
        try
        {
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>"os/architecture[/variant]" of each child an index lists, in its order, without
    /// the "unknown/unknown" entries build tools add for attestations.</summary>
    public static List<string> Platforms(JsonElement index)
    {
        var platforms = new List<string>();
        if (index.ValueKind != JsonValueKind.Object || !index.TryGetProperty("manifests", out var children) || children.ValueKind != JsonValueKind.Array)
        {
            return platforms;
        }
        foreach (var child in children.EnumerateArray())
        {
            if (PlatformOf(child) is { } platform && platform != "unknown/unknown" && !platforms.Contains(platform))
            {
                platforms.Add(platform);
            }
        }
        return platforms;
    }

    public static string? PlatformOf(JsonElement descriptor)
    {
        if (descriptor.ValueKind != JsonValueKind.Object || !descriptor.TryGetProperty("platform", out var platform) || platform.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var os = String(platform, "os");
        var architecture = String(platform, "architecture");
        if (os is null || architecture is null)
        {
            return null;
        }
        return String(platform, "variant") is { } variant ? $"{os}/{architecture}/{variant}" : $"{os}/{architecture}";
    }

    public static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? TextOf(value)
            : null;

    /// <summary>A value as the page shows it: a string's text, anything else its JSON. JSON lets a
    /// string escape half a UTF-16 pair ("\ud800"), which no .NET string can hold: such a string is
    /// shown as its JSON text (inside the quotes), escapes and all, rather than failing the page.</summary>
    public static string TextOf(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            try
            {
                return value.GetString()!;
            }
            catch (InvalidOperationException)
            {
                // The string's JSON text inside its quotes.
                return value.GetRawText()[1..^1];
            }
        }
        return value.GetRawText();
    }
}
