using Wharf.Server;

namespace Wharf.Tests.Server;

/// <summary>The pool Kestrel's socket transport receives into.</summary>
public sealed class LargeBlockMemoryPoolTests
{
    [Fact]
    public void Rent_Default_Gives64KiBBlock()
    {
        using var pool = new LargeBlockMemoryPool();
        using var block = pool.Rent();

        Assert.Equal(LargeBlockMemoryPool.BlockSize, block.Memory.Length);
        Assert.Equal(64 * 1024, pool.MaxBufferSize);
    }

    [Fact]
    public void Rent_AfterReturn_ReusesTheBlock()
    {
        using var pool = new LargeBlockMemoryPool();
        var first = pool.Rent();
        first.Memory.Span[0] = 42;
        first.Dispose();

        using var second = pool.Rent();

        Assert.Same(first, second);
        Assert.Equal(0, pool.RetainedBlocks);
    }

    [Fact]
    public void Dispose_Twice_PutsBlockInPoolOnce()
    {
        using var pool = new LargeBlockMemoryPool();
        var block = pool.Rent();

        block.Dispose();
        block.Dispose();

        Assert.Equal(1, pool.RetainedBlocks);
        using var a = pool.Rent();
        using var b = pool.Rent();
        Assert.NotSame(a, b);
    }

    [Fact]
    public void Memory_AfterReturn_Throws()
    {
        using var pool = new LargeBlockMemoryPool();
        var block = pool.Rent();
        block.Dispose();

        Assert.Throws<ObjectDisposedException>(() => block.Memory);
    }

    [Fact]
    public void Rent_LargerThanBlock_Throws()
    {
        using var pool = new LargeBlockMemoryPool();

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(LargeBlockMemoryPool.BlockSize + 1));
    }

    [Fact]
    public void Return_BeyondRetentionLimit_LetsBlocksGo()
    {
        using var pool = new LargeBlockMemoryPool();
        var blocks = Enumerable.Range(0, LargeBlockMemoryPool.MaxRetainedBlocks + 10).Select(_ => pool.Rent()).ToList();

        blocks.ForEach(b => b.Dispose());

        Assert.Equal(LargeBlockMemoryPool.MaxRetainedBlocks, pool.RetainedBlocks);
    }

    [Fact]
    public void Dispose_PoolHoldingBlocks_LetsThemGo()
    {
        var pool = new LargeBlockMemoryPool();
        pool.Rent().Dispose();
        Assert.Equal(1, pool.RetainedBlocks);

        pool.Dispose();

        Assert.Equal(0, pool.RetainedBlocks);
    }

    [Fact]
    public void Return_AfterPoolDisposed_KeepsNothing()
    {
        var pool = new LargeBlockMemoryPool();
        var block = pool.Rent();
        pool.Dispose();

        block.Dispose();

        Assert.Equal(0, pool.RetainedBlocks);
    }
}

/// <summary>Kestrel takes its memory pool factory from the service provider when it binds.</summary>
public sealed class LargeBlockMemoryPoolRegistrationTests
{
    [Fact]
    public void Services_MemoryPoolFactory_IsTheLargeBlockOne()
    {
        using var factory = new Wharf.Tests.Api.WharfApiFactory();

        var poolFactory = factory.Services.GetService(typeof(Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>));

        Assert.IsType<LargeBlockMemoryPoolFactory>(poolFactory);
    }
}
