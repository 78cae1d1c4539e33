using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Wharf.Bench;

/// <summary>Bytes to push: a file (read with pread, so many requests can share one handle) or memory.</summary>
internal sealed class BlobSource
{
    private readonly SafeFileHandle? file;
    private readonly ReadOnlyMemory<byte> memory;

    private BlobSource(SafeFileHandle? file, ReadOnlyMemory<byte> memory, long length)
    {
        this.file = file;
        this.memory = memory;
        Length = length;
    }

    public long Length { get; }

    public static BlobSource OpenFile(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        return new BlobSource(handle, default, RandomAccess.GetLength(handle));
    }

    public static BlobSource InMemory(ReadOnlyMemory<byte> bytes) => new(null, bytes, bytes.Length);

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, long offset, CancellationToken cancellationToken)
    {
        if (file is not null)
        {
            return await RandomAccess.ReadAsync(file, buffer, offset, cancellationToken);
        }
        var count = (int)Math.Min(buffer.Length, Length - offset);
        memory.Slice((int)offset, count).CopyTo(buffer);
        return count;
    }
}

/// <summary>
/// A blob to push: a source whose first 16 bytes are replaced by a nonce, so that every timed push
/// is a blob the server has never seen (a server may skip work, such as an fsync, for a blob it
/// already holds), while the bytes still come from the same file.
/// </summary>
internal sealed class Blob
{
    public const int BufferSize = 1 << 20;
    private const int NonceSize = 16;

    private Blob(BlobSource source, byte[]? nonce, string digest)
    {
        Source = source;
        Nonce = nonce;
        Digest = digest;
    }

    public BlobSource Source { get; }
    public byte[]? Nonce { get; }
    public string Digest { get; }
    public long Length => Source.Length;

    /// <summary>
    /// Hashes the blob on this thread, streaming 1 MiB reads: the same work a registry must do for
    /// every byte it accepts, so its time is the single-core limit for a push.
    /// </summary>
    public static async Task<(Blob Blob, TimeSpan HashTime)> CreateAsync(BlobSource source, byte[]? nonce)
    {
        var clock = Stopwatch.StartNew();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            for (long offset = 0; offset < source.Length;)
            {
                var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(BufferSize, source.Length - offset)), offset, default);
                ApplyNonce(nonce, offset, buffer.AsSpan(0, read));
                hash.AppendData(buffer, 0, read);
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        var digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        return (new Blob(source, nonce, digest), clock.Elapsed);
    }

    public static byte[] NewNonce(string label)
    {
        var nonce = new byte[NonceSize];
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(label)).AsSpan(0, NonceSize).CopyTo(nonce);
        return nonce;
    }

    /// <summary>Reads the blob's bytes from <paramref name="offset"/> (nonce applied) into <paramref name="buffer"/>, filling it unless the blob ends first.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, long offset, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length && offset + filled < Length)
        {
            var read = await Source.ReadAsync(buffer[filled..], offset + filled, cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("blob source ended early");
            }
            filled += read;
        }
        ApplyNonce(Nonce, offset, buffer.Span[..filled]);
        return filled;
    }

    /// <summary>The bytes [offset, offset + length) as a request body, streamed from a pooled buffer.</summary>
    public HttpContent Content(long offset, long length) => new BlobContent(this, offset, length);

    private static void ApplyNonce(byte[]? nonce, long position, Span<byte> data)
    {
        if (nonce is null)
        {
            return;
        }
        for (var i = position; i < NonceSize && i < position + data.Length; i++)
        {
            data[(int)(i - position)] = nonce[i];
        }
    }

    private sealed class BlobContent : HttpContent
    {
        private readonly Blob blob;
        private readonly long offset;
        private readonly long length;

        public BlobContent(Blob blob, long offset, long length)
        {
            this.blob = blob;
            this.offset = offset;
            this.length = length;
            Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, default);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                for (long done = 0; done < length;)
                {
                    var position = offset + done;
                    var read = await blob.Source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(BufferSize, length - done)), position, cancellationToken);
                    if (read == 0)
                    {
                        throw new EndOfStreamException("blob source ended early");
                    }
                    ApplyNonce(blob.Nonce, position, buffer.AsSpan(0, read));
                    await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    done += read;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        protected override bool TryComputeLength(out long value)
        {
            value = length;
            return true;
        }
    }
}
