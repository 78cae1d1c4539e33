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
    // A whole-body GET or HEAD with no Range and no condition: the common pull. Anything else goes
    // through ASP.NET's file result, which implements RFC 9110's ranges and preconditions.
    public static bool IsPlainGet(HttpRequest request) =>
        request.Headers.Range.Count == 0
        && request.Headers.IfNoneMatch.Count == 0 && request.Headers.IfMatch.Count == 0
        && request.Headers.IfModifiedSince.Count == 0 && request.Headers.IfUnmodifiedSince.Count == 0
        && request.Headers.IfRange.Count == 0;

    /// <summary>The headers of a 200 for a HEAD of content whose size is known.</summary>
    public static void WriteHeadHeaders(HttpContext context, Digest digest, string contentType, long size)
    {
        var response = context.Response;
        response.Headers[RegistryHeaders.ContentDigest] = digest.ToString();
        response.Headers.ETag = $"\"{digest}\"";
        response.Headers.AcceptRanges = "bytes";
        response.ContentType = contentType;
        response.ContentLength = size;
    }

    // Reads the file straight into the response pipe's buffers, a megabyte at a time: one copy from
    // the page cache to the socket's buffers, where a stream copy makes two, in 64 KiB steps.
    private static async Task SendWholeFileAsync(HttpContext context, string path, string contentType, string etag)
    {
        const int ChunkSize = 1024 * 1024;
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var length = RandomAccess.GetLength(file);
        var response = context.Response;
        response.ContentType = contentType;
        response.ContentLength = length;
        response.Headers.ETag = etag;
        response.Headers.AcceptRanges = "bytes";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }
        var writer = response.BodyWriter;
        long offset = 0;
        while (offset < length)
        {
            var memory = writer.GetMemory((int)Math.Min(ChunkSize, length - offset));
            var wanted = (int)Math.Min(memory.Length, length - offset);
            var read = await RandomAccess.ReadAsync(file, memory[..wanted], offset, context.RequestAborted);
            if (read == 0)
            {
                // The file shrank under us (it never should: blobs are immutable). Cut the connection
                // rather than send a short body the client would take as complete.
                context.Abort();
                return;
            }
            writer.Advance(read);
            offset += read;
            var flushed = await writer.FlushAsync(context.RequestAborted);
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                return;
            }
        }
    }

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
                if (IsPlainGet(context.Request))
                {
                    await SendWholeFileAsync(context, localFile, contentType, etag.Tag.Value!);
                    return;
                }
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
