namespace Wharf.Api;

/// <summary><c>GET /v2/</c>: the API version check clients make before anything else.</summary>
internal static class BaseEndpoints
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    public static async Task GetAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = EmptyObject.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(EmptyObject, context.RequestAborted);
        }
    }
}
