using System.Security.Cryptography;
using Wharf.Registry;
using Wharf.Storage;

namespace Wharf.Core.Tests.Registry;

/// <summary>The copy that stores and hashes a body in one pass, writing one buffer while it
/// fills the next.</summary>
public sealed class HashingCopyTests
{
    private static CancellationToken Ct => CancellationToken.None;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1024 * 1024 - 1)]
    [InlineData(1024 * 1024)]
    [InlineData(1024 * 1024 + 1)]
    [InlineData(5 * 1024 * 1024 + 333)]
    public async Task CopyAsync_AnySize_StoresAndHashesEveryByteOnce(int size)
    {
        var content = RandomBytes(size);
        var writer = new RecordingWriter(TimeSpan.Zero);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        var copied = await HashingCopy.CopyAsync(new TrickleStream(content), writer, hash, Ct);

        Assert.Equal(size, copied);
        Assert.Equal(content, writer.Received.ToArray());
        Assert.Equal(SHA256.HashData(content), hash.GetHashAndReset());
    }

    [Fact]
    public async Task CopyAsync_SlowWrites_NeverRefillsABufferBeingWrittenNorOverlapsWrites()
    {
        var content = RandomBytes(6 * 1024 * 1024 + 17);
        var writer = new RecordingWriter(TimeSpan.FromMilliseconds(20));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        await HashingCopy.CopyAsync(new TrickleStream(content), writer, hash, Ct);

        // The writer compares what it was handed at the start of each write with what the memory
        // holds at its end: a refill of that buffer meanwhile would show here.
        Assert.Empty(writer.Problems);
        Assert.Equal(content, writer.Received.ToArray());
    }

    [Fact]
    public async Task CopyAsync_BodyFailsWhileAWriteRuns_WaitsForTheWriteBeforeFailing()
    {
        var content = RandomBytes(3 * 1024 * 1024);
        var writer = new RecordingWriter(TimeSpan.FromMilliseconds(100));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var body = new TrickleStream(content, failAfter: 1024 * 1024 + 10);

        await Assert.ThrowsAsync<IOException>(() => HashingCopy.CopyAsync(body, writer, hash, Ct));

        Assert.Equal(0, writer.InFlight);
        Assert.Equal(1024 * 1024, writer.Received.Length);
    }

    [Fact]
    public async Task CopyAsync_WriteFails_ThrowsTheWritersError()
    {
        var content = RandomBytes(4 * 1024 * 1024);
        var writer = new RecordingWriter(TimeSpan.Zero) { FailOnWrite = 2 };
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        var error = await Assert.ThrowsAsync<IOException>(() => HashingCopy.CopyAsync(new TrickleStream(content), writer, hash, Ct));

        Assert.Equal("disk full", error.Message);
        Assert.Equal(0, writer.InFlight);
    }

    private static byte[] RandomBytes(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A body that arrives in odd-sized pieces, as a socket delivers it, and may fail part way.</summary>
    private sealed class TrickleStream(byte[] content, int failAfter = int.MaxValue) : Stream
    {
        private int _position;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            if (_position >= failAfter)
            {
                throw new IOException("the client went away");
            }
            var count = Math.Min(Math.Min(buffer.Length, 65_521), Math.Min(content.Length, failAfter) - _position);
            content.AsMemory(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A writer that takes its time, as a disk does, and checks how it is called.</summary>
    private sealed class RecordingWriter(TimeSpan delay) : IBlobWriter
    {
        private int _inFlight;
        private int _writes;

        public MemoryStream Received { get; } = new();
        public List<string> Problems { get; } = [];
        public int InFlight => Volatile.Read(ref _inFlight);
        public int FailOnWrite { get; init; }
        public long Size => Received.Length;

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _inFlight) != 1)
            {
                Problems.Add("two writes at once");
            }
            try
            {
                var atStart = data.ToArray();
                await Task.Delay(delay, cancellationToken);
                if (++_writes == FailOnWrite)
                {
                    throw new IOException("disk full");
                }
                if (!data.Span.SequenceEqual(atStart))
                {
                    Problems.Add($"write {_writes}: its buffer changed while it was being written");
                }
                Received.Write(atStart);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public Task CommitAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
