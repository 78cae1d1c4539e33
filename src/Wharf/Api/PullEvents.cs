using Microsoft.Extensions.Options;
using Wharf.Events;

namespace Wharf.Api;

/// <summary>
/// Pulls are reported here rather than by the services, which serve HEAD and GET alike: as in
/// distribution, a GET that served the content is a pull, a HEAD is not. Only endpoints that ask
/// for pulls (<see cref="NotificationEndpoint.IncludePulls"/>) get one, and the response is
/// completed first, so the event's row never delays the bytes.
/// </summary>
internal static class PullEvents
{
    public static async Task RecordAsync(HttpContext context, RegistryEvent pull)
    {
        var served = context.Response.StatusCode is StatusCodes.Status200OK or StatusCodes.Status206PartialContent or StatusCodes.Status307TemporaryRedirect;
        if (!served || !HttpMethods.IsGet(context.Request.Method)
            || context.RequestServices.GetService<IOptions<NotificationOptions>>() is not { } options
            || !options.Value.Endpoints.Exists(e => e.Wants(pull)))
        {
            return;
        }
        await context.Response.CompleteAsync();
        await context.RequestServices.GetRequiredService<IRegistryEvents>().RecordAsync(pull);
    }
}
