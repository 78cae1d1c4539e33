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
}
