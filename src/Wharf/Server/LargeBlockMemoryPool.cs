using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Wharf.Server;

/// <summary>
/// The memory Kestrel's socket transport receives into and writes responses from, in blocks of
/// 64 KiB instead of Kestrel's own 4 KiB.
/// </summary>
/// <remarks>
/// The transport reads a socket into whatever block the pool hands out, so the block size is the
/// most one receive call can take. A registry's traffic is mostly bodies of many MiB: with 4 KiB
/// blocks, a 512 MiB layer costs some 130,000 receive calls and as many pipe segments, and the
/// calls alone took a good share of a push's CPU time (see BENCHMARKS.md). Blocks are pinned (no
/// pinning per socket call) and come back to the pool when Kestrel is done with them; the pool
/// keeps at most <see cref="MaxRetainedBlocks"/> of them, so memory idles small.
/// </remarks>
internal sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;

    /// <summary>16 MiB: the blocks that several busy connections cycle through.</summary>
    public const int MaxRetainedBlocks = 256;

    private readonly ConcurrentQueue<Block> _free = new();
    private int _freeCount;
    private bool _disposed;

    /// <summary>Blocks waiting in the pool to be rented again.</summary>
    public int RetainedBlocks => Volatile.Read(ref _freeCount);

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        // A pipe asks the pool only for sizes up to MaxBufferSize and allocates larger ones itself.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _freeCount);
            block.Rented = true;
            return block;
        }
        return new Block(this);
    }

    private void Return(Block block)
    {
        if (Volatile.Read(ref _disposed))
        {
            return; // left to the garbage collector
        }
        if (Interlocked.Increment(ref _freeCount) > MaxRetainedBlocks)
        {
            Interlocked.Decrement(ref _freeCount);
            return;
        }
        _free.Enqueue(block);
    }

    /// <summary>Lets go of the blocks waiting in the pool (for the garbage collector to take), so
    /// that a server idle after a burst of traffic gives their memory back.</summary>
    public void Trim()
    {
        while (_free.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _freeCount);
        }
    }

    protected override void Dispose(bool disposing)
    {
        Volatile.Write(ref _disposed, true);
        while (_free.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _freeCount);
        }
    }

    private sealed class Block(LargeBlockMemoryPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        public bool Rented { get; set; } = true;

        public Memory<byte> Memory => Rented ? _array : throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            // Kestrel disposes a block once; a second dispose must not put it in the pool twice.
            if (Rented)
            {
                Rented = false;
                pool.Return(this);
            }
        }
    }
}

/// <summary>Hands Kestrel a <see cref="LargeBlockMemoryPool"/> (Kestrel asks the service provider
/// for this factory when it binds a socket).</summary>
internal sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    private readonly ConcurrentBag<LargeBlockMemoryPool> _pools = [];

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
    {
        var pool = new LargeBlockMemoryPool();
        _pools.Add(pool);
        return pool;
    }

    /// <summary>Trims every pool made here (one per listening socket).</summary>
    public void TrimAll()
    {
        foreach (var pool in _pools)
        {
            pool.Trim();
        }
    }
}
