using Microsoft.Net.Http.Headers;
using Wharf.Distribution;

namespace Wharf.Api;

/// <summary>
/// Sends stored content. A local file goes out with ASP.NET's file result: zero-copy sendfile,
/// RFC 9110 Range (206/416), conditional requests on the digest ETag (304/412) and HEAD. Other
/// storage is streamed with the same rules.
/// </summary>
internal static class ContentResults
{
    /// <summary>Sends content held in memory (a cached manifest), with the same headers and the same
    /// answer to <c>If-None-Match</c> (RFC 9110, 13.1.2) as the file path.</summary>
    public static Task SendBytesAsync(HttpContext context, Digest digest, string contentType, byte[] bytes)
    {
        var response = context.Response;
        var etag = $"\"{digest}\"";
        response.Headers[RegistryHeaders.ContentDigest] = digest.ToString();
        response.Headers.ETag = etag;
        response.ContentType = contentType;
        var ifNoneMatch = context.Request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count > 0 && ifNoneMatch.Any(v => v is not null && (v.Contains(etag, StringComparison.Ordinal) || v.Trim() == "*")))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        response.ContentLength = bytes.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }

    public static async Task SendAsync(HttpContext context, Digest digest, string contentType, string? localFile, Func<CancellationToken, Task<Stream?>> openAsync, bool enableRanges, ErrorCode missing)
    {
        context.Response.Headers[RegistryHeaders.ContentDigest] = digest.ToString();
        // The digest identifies the bytes exactly: a strong validator.
        var etag = new EntityTagHeaderValue($"\"{digest}\"");
        if (localFile is not null)
        {
            try
            {
                await TypedResults.PhysicalFile(localFile, contentType, entityTag: etag, enableRangeProcessing: enableRanges).ExecuteAsync(context);
                return;
            }
            catch (Exception e) when (!context.Response.HasStarted && e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new RegistryException(missing, $"the bytes of {digest} are missing from storage");
            }
        }
        var stream = await openAsync(context.RequestAborted) ?? throw new RegistryException(missing, $"the bytes of {digest} are missing from storage");
        await TypedResults.Stream(stream, contentType, entityTag: etag, enableRangeProcessing: enableRanges).ExecuteAsync(context);
    }
}
