using System.Runtime.InteropServices;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// A read-only, seekable stream of <c>length</c> pseudo-random bytes. Every 64 KiB block is generated from
/// (seed, block number) alone, so content is reproducible, seekable, cheap (xorshift) and incompressible,
/// and arbitrarily large payloads never need to be stored.
/// </summary>
public sealed class DeterministicStream(long seed, long length) : Stream
{
    private const int BlockSize = 64 * 1024;
    private readonly byte[] _block = new byte[BlockSize];
    private long _blockNumber = -1;
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var total = (int)Math.Clamp(length - _position, 0, buffer.Length);
        for (var done = 0; done < total;)
        {
            var blockNumber = _position / BlockSize;
            if (blockNumber != _blockNumber)
            {
                FillBlock(blockNumber);
            }

            var offsetInBlock = (int)(_position % BlockSize);
            var n = Math.Min(total - done, BlockSize - offsetInBlock);
            _block.AsSpan(offsetInBlock, n).CopyTo(buffer[done..]);
            done += n;
            _position += n;
        }

        return total;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void FillBlock(long blockNumber)
    {
        // SplitMix64 turns (seed, block) into a well-mixed non-zero xorshift64* state.
        var state = (ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)blockNumber + 1;
        state = (state ^ (state >> 30)) * 0xBF58476D1CE4E5B9UL;
        state = (state ^ (state >> 27)) * 0x94D049BB133111EBUL;
        state ^= state >> 31;
        state |= 1;

        foreach (ref var word in MemoryMarshal.Cast<byte, ulong>(_block.AsSpan()))
        {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            word = state * 0x2545F4914F6CDD1DUL;
        }

        _blockNumber = blockNumber;
    }
}
