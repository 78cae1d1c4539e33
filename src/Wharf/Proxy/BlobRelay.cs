using Wharf.Api;
using Wharf.Distribution;

namespace Wharf.Proxy;

/// <summary>
/// Sends a blob to a client while it is being fetched: whatever has arrived is sent at once from
/// the fetch's spool, then the client waits for more. The last byte goes out only once the digest
/// is verified, so a fetch that fails at the end (wrong bytes, a short body) cuts the client's
/// transfer instead of completing it; without a length from the upstream the response is chunked
/// and its end is held back the same way.
/// </summary>
internal static class BlobRelay
{
    private const int ChunkSize = 1024 * 1024;

    public static async Task SendAsync(HttpContext context, BlobFetch fetch)
    {
        var cancellation = context.RequestAborted;
        var length = await fetch.Started.Task.WaitAsync(cancellation);
        var response = context.Response;
        response.Headers[RegistryHeaders.ContentDigest] = fetch.Digest.ToString();
        response.Headers.ETag = $"\"{fetch.Digest}\"";
        response.ContentType = MediaTypes.OctetStream;
        response.ContentLength = length;
        ProxyMetrics.Served(fetch.Repository.Upstream, "blob", ProxyMetrics.Miss);
        var writer = response.BodyWriter;
        long position = 0;
        while (true)
        {
            var finished = fetch.Verified.Task;
            if (finished.IsFaulted)
            {
                context.Abort();
                return;
            }
            var available = fetch.Available;
            var sendable = finished.IsCompletedSuccessfully || length is null ? available : Math.Min(available, length.Value - 1);
            if (position < sendable)
            {
                var memory = writer.GetMemory((int)Math.Min(ChunkSize, sendable - position));
                var wanted = (int)Math.Min(memory.Length, sendable - position);
                var read = fetch.CopyRecent(position, memory.Span[..wanted]);
                if (read == 0)
                {
                    read = await RandomAccess.ReadAsync(fetch.Spool, memory[..wanted], position, cancellation);
                }
                if (read == 0)
                {
                    context.Abort();
                    return;
                }
                writer.Advance(read);
                position += read;
                var flushed = await writer.FlushAsync(cancellation);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    return;
                }
                continue;
            }
            if (finished.IsCompletedSuccessfully)
            {
                return;
            }
            if (available > position)
            {
                // Everything has arrived but the last byte, held back for the verdict.
                await finished.ContinueWith(static _ => { }, cancellation, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            else
            {
                await fetch.WaitBeyondAsync(position, cancellation);
            }
        }
    }
}
