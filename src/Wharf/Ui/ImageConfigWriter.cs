using System.Text.Json;

namespace Wharf.Ui;

/// <summary>Writes what the image page shows of an image configuration (OCI image-spec "config",
/// the same shape as Docker's): platform, entrypoint, command, environment, exposed ports,
/// labels, and the history, whose <c>created_by</c> entries are the build's steps.</summary>
internal static class ImageConfigWriter
{
    public static void Write(Utf8JsonWriter json, JsonElement config)
    {
        json.WriteStartObject();
        CopyString(json, config, "os", "os");
        CopyString(json, config, "architecture", "architecture");
        CopyString(json, config, "variant", "variant");
        CopyString(json, config, "created", "created");
        CopyString(json, config, "author", "author");
        var run = config.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        CopyStringArray(json, run, "Entrypoint", "entrypoint");
        CopyStringArray(json, run, "Cmd", "cmd");
        CopyStringArray(json, run, "Env", "env");
        CopyString(json, run, "WorkingDir", "workingDir");
        CopyString(json, run, "User", "user");
        json.WriteStartArray("exposedPorts");
        if (run.ValueKind == JsonValueKind.Object && run.TryGetProperty("ExposedPorts", out var ports) && ports.ValueKind == JsonValueKind.Object)
        {
            foreach (var port in ports.EnumerateObject())
            {
                json.WriteStringValue(port.Name);
            }
        }
        json.WriteEndArray();
        json.WritePropertyName("labels");
        WriteStringMap(json, run.ValueKind == JsonValueKind.Object && run.TryGetProperty("Labels", out var labels) ? labels : default);
        json.WriteStartArray("history");
        if (config.TryGetProperty("history", out var history) && history.ValueKind == JsonValueKind.Array)
        {
            foreach (var step in history.EnumerateArray())
            {
                json.WriteStartObject();
                CopyString(json, step, "created", "created");
                CopyString(json, step, "created_by", "createdBy");
                CopyString(json, step, "comment", "comment");
                json.WriteBoolean("emptyLayer", step.ValueKind == JsonValueKind.Object && step.TryGetProperty("empty_layer", out var empty) && empty.ValueKind == JsonValueKind.True);
                json.WriteEndObject();
            }
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>An object of strings (labels, annotations) as one, or null; a value that is not a
    /// string is shown as its JSON text rather than dropped.</summary>
    public static void WriteStringMap(Utf8JsonWriter json, JsonElement map)
    {
        if (map.ValueKind != JsonValueKind.Object)
        {
            json.WriteNullValue();
            return;
        }
        json.WriteStartObject();
        foreach (var entry in map.EnumerateObject())
        {
            string name;
            try
            {
                name = entry.Name;
            }
            catch (InvalidOperationException)
            {
                // A key no .NET string can hold (half a UTF-16 pair): that entry is left out.
                continue;
            }
            json.WriteString(name, StoredManifests.TextOf(entry.Value));
        }
        json.WriteEndObject();
    }

    private static void CopyString(Utf8JsonWriter json, JsonElement from, string name, string asName) =>
        json.WriteString(asName, StoredManifests.String(from, name));

    private static void CopyStringArray(Utf8JsonWriter json, JsonElement from, string name, string asName)
    {
        if (from.ValueKind != JsonValueKind.Object || !from.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            json.WriteNull(asName);
            return;
        }
        json.WriteStartArray(asName);
        foreach (var item in array.EnumerateArray())
        {
            json.WriteStringValue(StoredManifests.TextOf(item));
        }
        json.WriteEndArray();
    }
}
