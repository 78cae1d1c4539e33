using Wharf.Storage;

namespace Wharf.Core.Tests.TestSupport;

/// <summary>Another storage's objects, counting every byte read back through <see cref="OpenReadAsync"/>:
/// to show that an operation does not re-read what it need not.</summary>
public sealed class ReadCountingBlobStorage(IBlobStorage inner) : IBlobStorage
{
    private long _bytesRead;

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>When set, the next read fails once this many more bytes have been read (then it is cleared):
    /// a storage or network error in the middle of a read.</summary>
    public long? FailAfterBytes { get; set; }

    public async Task<Stream?> OpenReadAsync(string path, long offset, CancellationToken cancellationToken) =>
        await inner.OpenReadAsync(path, offset, cancellationToken) is { } stream ? new CountingStream(stream, this) : null;

    public Task<long?> GetSizeAsync(string path, CancellationToken cancellationToken) => inner.GetSizeAsync(path, cancellationToken);

    public Task<IBlobWriter> OpenAppendWriterAsync(string path, CancellationToken cancellationToken) => inner.OpenAppendWriterAsync(path, cancellationToken);

    public Task<MoveResult> MoveAsync(string sourcePath, string destinationPath, CancellationToken cancellationToken) => inner.MoveAsync(sourcePath, destinationPath, cancellationToken);

    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken) => inner.DeleteAsync(path, cancellationToken);

    public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

    public string? TryGetLocalFile(string path) => inner.TryGetLocalFile(path);

    private sealed class CountingStream(Stream inner, ReadCountingBlobStorage owner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, Allowed(count)));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer[..Allowed(buffer.Length)], cancellationToken));

        // With a failure armed, a read returns at most the bytes left before it, and the read after
        // those fails: the caller has taken some bytes when the error comes.
        private int Allowed(int count)
        {
            if (owner.FailAfterBytes is not { } limit)
            {
                return count;
            }
            if (limit == 0)
            {
                owner.FailAfterBytes = null;
                throw new IOException("the storage failed in the middle of a read");
            }
            return (int)Math.Min(count, limit);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            if (owner.FailAfterBytes is { } limit)
            {
                owner.FailAfterBytes = limit - read;
            }
            Interlocked.Add(ref owner._bytesRead, read);
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
