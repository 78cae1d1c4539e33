using System.Buffers;
using System.Security.Cryptography;
using Wharf.Storage;

namespace Wharf.Registry;

/// <summary>Copies a request body into storage and through a hash in the same pass: the bytes are
/// read once and never held whole in memory.</summary>
internal static class HashingCopy
{
    private const int BufferSize = 512 * 1024;

    /// <returns>The number of bytes copied.</returns>
    /// <remarks>
    /// Two pooled buffers take turns: while one is being written to storage (a write runs on a
    /// thread-pool thread), this thread hashes it and then fills the other from the body. Writing,
    /// hashing and receiving a large blob so overlap instead of running one after the other, which
    /// on a push is most of the time a blob takes. A buffer is refilled only after its write ended.
    /// </remarks>
    public static async Task<long> CopyAsync(Stream source, IBlobWriter destination, IncrementalHash hash, CancellationToken cancellationToken)
    {
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(BufferSize), ArrayPool<byte>.Shared.Rent(BufferSize)];
        var pendingWrite = Task.CompletedTask;
        try
        {
            long total = 0;
            for (var turn = 0; ; turn ^= 1)
            {
                var buffer = buffers[turn];
                var filled = await FillAsync(source, buffer, cancellationToken);
                // Writes are appends, so they go one at a time and in order.
                await pendingWrite;
                if (filled == 0)
                {
                    return total;
                }
                pendingWrite = destination.WriteAsync(buffer.AsMemory(0, filled), cancellationToken).AsTask();
                hash.AppendData(buffer, 0, filled);
                total += filled;
                if (filled < buffer.Length)
                {
                    await pendingWrite;
                    return total;
                }
            }
        }
        finally
        {
            // A write still running reads its buffer: it must end before the buffer goes back to
            // the pool (and before the caller disposes the writer). Its own failure is secondary
            // to the one that brought us here.
            await pendingWrite.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
        }
    }

    /// <summary>Reads until the buffer is full or the body ends: fewer, larger writes to the file.</summary>
    private static async ValueTask<int> FillAsync(Stream source, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await source.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
        {
            filled += read;
        }
        return filled;
    }

    /// <summary>Hashes the bytes of a stored object from <paramref name="start"/> up to <paramref name="end"/>.</summary>
    public static async Task HashStoredAsync(IBlobStorage storage, string path, long start, long end, IncrementalHash hash, CancellationToken cancellationToken)
    {
        var length = end - start;
        if (length <= 0)
        {
            return;
        }
        await using var stream = await storage.OpenReadAsync(path, start, cancellationToken)
            ?? throw new InvalidOperationException("the stored upload disappeared while it was being read");
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var remaining = length;
            while (remaining > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken);
                if (read == 0)
                {
                    throw new InvalidOperationException("the stored upload is shorter than recorded");
                }
                hash.AppendData(buffer, 0, read);
                remaining -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static HashAlgorithmName AlgorithmFor(string digestAlgorithm) => digestAlgorithm switch
    {
        Distribution.Digest.Sha256 => HashAlgorithmName.SHA256,
        Distribution.Digest.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(digestAlgorithm), digestAlgorithm, "unsupported digest algorithm"),
    };
}
