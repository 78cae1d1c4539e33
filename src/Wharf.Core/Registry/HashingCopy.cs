using System.Buffers;
using System.Security.Cryptography;
using Wharf.Storage;

namespace Wharf.Registry;

/// <summary>Copies a request body into storage and through a hash in the same pass, with one
/// pooled buffer: the bytes are read once and never held whole in memory.</summary>
internal static class HashingCopy
{
    private const int BufferSize = 1024 * 1024;

    /// <returns>The number of bytes copied.</returns>
    public static async Task<long> CopyAsync(Stream source, IBlobWriter destination, IncrementalHash hash, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long total = 0;
            while (true)
            {
                // Fill the buffer before writing: fewer, larger writes to the file.
                var filled = 0;
                int read;
                while (filled < buffer.Length && (read = await source.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
                {
                    filled += read;
                }
                if (filled == 0)
                {
                    return total;
                }
                hash.AppendData(buffer, 0, filled);
                await destination.WriteAsync(buffer.AsMemory(0, filled), cancellationToken);
                total += filled;
                if (filled < buffer.Length)
                {
                    return total;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Hashes the first <paramref name="length"/> bytes of a stored object.</summary>
    public static async Task HashStoredAsync(IBlobStorage storage, string path, long length, IncrementalHash hash, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return;
        }
        await using var stream = await storage.OpenReadAsync(path, 0, cancellationToken)
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
