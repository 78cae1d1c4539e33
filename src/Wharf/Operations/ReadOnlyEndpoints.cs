using System.Text.Json;
using Wharf.Api;
using Wharf.Auth;
using Wharf.Distribution;
using Wharf.Metadata;

namespace Wharf.Operations;

/// <summary>
/// <c>/wharf/read-only</c>: switches the registry into maintenance and back without a restart
/// (admins only when auth is on). <c>GET</c> tells the state; <c>PUT</c> with
/// <c>{"readOnly": true}</c> or <c>{"readOnly": false}</c> sets the switch for every replica.
/// <c>Storage:ReadOnly: true</c> in the settings cannot be switched off here.
/// </summary>
internal static class ReadOnlyEndpoints
{
    public const string Path = "/wharf/read-only";

    public static IEndpointRouteBuilder MapReadOnlyEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, async context =>
        {
            await context.RequestServices.GetRequiredService<RegistryAuthorizer>().RequireAdminAsync(context);
            await WriteStateAsync(context);
        });
        app.MapPut(Path, async context =>
        {
            var services = context.RequestServices;
            await services.GetRequiredService<RegistryAuthorizer>().RequireAdminAsync(context);
            var mode = services.GetRequiredService<ReadOnlyMode>();
            var on = await ReadRequestAsync(context);
            if (mode.Configured)
            {
                // Such a server may run on storage it must not write at all: not even the switch.
                throw new RegistryException(ErrorCode.Unsupported, "Storage:ReadOnly is set in this server's settings; change it there");
            }
            await ReadOnlySwitch.SetAsync(services.GetRequiredService<IMetadataStore>(), mode, on, context.RequestAborted);
            await WriteStateAsync(context);
        });
        return app;
    }

    private static async Task<bool> ReadRequestAsync(HttpContext context)
    {
        const int MaxBody = 1024;
        using var body = new MemoryStream();
        var buffer = new byte[MaxBody + 1];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            body.Write(buffer, 0, read);
            if (body.Length > MaxBody)
            {
                throw new RegistryException(ErrorCode.SizeInvalid, "the body is larger than a switch needs", StatusCodes.Status413PayloadTooLarge);
            }
        }
        try
        {
            using var json = JsonDocument.Parse(body.ToArray());
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("readOnly", out var value)
                && value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                return value.GetBoolean();
            }
        }
        catch (JsonException)
        {
        }
        throw new RegistryException(ErrorCode.Unsupported, "send {\"readOnly\": true} or {\"readOnly\": false}", StatusCodes.Status400BadRequest);
    }

    // {"readOnly":true,"configured":false,"switchedOn":true}
    private static async Task WriteStateAsync(HttpContext context)
    {
        var mode = context.RequestServices.GetRequiredService<ReadOnlyMode>();
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(context.Response.Body, ApiJsonWriter.Options);
        json.WriteStartObject();
        json.WriteBoolean("readOnly", mode.IsReadOnly);
        json.WriteBoolean("configured", mode.Configured);
        json.WriteBoolean("switchedOn", mode.SwitchedOn);
        json.WriteEndObject();
    }
}
