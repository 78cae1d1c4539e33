using Wharf.Core.Tests.TestSupport;
using Wharf.Storage;

namespace Wharf.Core.Tests.Storage;

/// <summary>Runs the <see cref="IBlobStorage"/> contract against a temp directory, plus what is
/// particular to the filesystem backend.</summary>
public sealed class FileSystemBlobStorageTests : BlobStorageContract
{
    private readonly TempDirectory _temp = new();
    private readonly FileSystemBlobStorage _storage;

    public FileSystemBlobStorageTests()
    {
        _storage = new FileSystemBlobStorage(_temp.Combine("root"));
    }

    protected override IBlobStorage Storage => _storage;

    // Large appends go through WriteBehind (writeback, cache drops and background flushes at
    // 8 and 64 MiB boundaries of the file): none of that may change a byte.

    [Fact]
    public async Task AppendWriters_LargeObjectInUnalignedChunks_KeepEveryByteInOrder()
    {
        var content = new byte[70 * 1024 * 1024 + 12345];
        new Random(42).NextBytes(content);
        var offset = 0;
        foreach (var chunk in new[] { 13 * 1024 * 1024 + 7, 41 * 1024 * 1024, content.Length - 54 * 1024 * 1024 - 7 })
        {
            await using var writer = await _storage.OpenAppendWriterAsync("uploads/big", Ct);
            for (var end = offset + chunk; offset < end;)
            {
                var length = Math.Min(1024 * 1024 - 3, end - offset);
                await writer.WriteAsync(content.AsMemory(offset, length), Ct);
                offset += length;
            }
            await writer.CommitAsync(Ct);
        }

        var stored = await File.ReadAllBytesAsync(_storage.TryGetLocalFile("uploads/big")!, Ct);
        Assert.Equal(content.Length, stored.Length);
        Assert.True(content.AsSpan().SequenceEqual(stored), "the stored bytes differ from the written ones");
    }

    [Fact]
    public async Task AppendWriter_LargeAppendNotCommitted_CutsObjectBackPastWrittenBackRanges()
    {
        var committed = new byte[20 * 1024 * 1024];
        new Random(7).NextBytes(committed);
        await using (var writer = await _storage.OpenAppendWriterAsync("uploads/big", Ct))
        {
            await writer.WriteAsync(committed, Ct);
            await writer.CommitAsync(Ct);
        }

        await using (var writer = await _storage.OpenAppendWriterAsync("uploads/big", Ct))
        {
            var more = new byte[1024 * 1024];
            for (var i = 0; i < 70; i++)
            {
                await writer.WriteAsync(more, Ct);
            }
        }

        var stored = await File.ReadAllBytesAsync(_storage.TryGetLocalFile("uploads/big")!, Ct);
        Assert.True(committed.AsSpan().SequenceEqual(stored), "the object is not what was committed");
    }

    [Fact]
    public void Constructor_MissingRoot_CreatesIt()
    {
        Assert.True(Directory.Exists(_temp.Combine("root")));
    }

    [Fact]
    public void RootDirectory_RelativeRoot_IsFullPath()
    {
        Assert.Equal(Path.GetFullPath(_temp.Combine("root")), _storage.RootDirectory);
    }

    [Fact]
    public async Task TryGetLocalFile_ExistingObject_ReturnsFileUnderRoot()
    {
        await WriteAsync("a/b/data", "bytes");

        var file = _storage.TryGetLocalFile("a/b/data");

        Assert.Equal(Path.Combine(_storage.RootDirectory, "a", "b", "data"), file);
        Assert.Equal("bytes", await File.ReadAllTextAsync(file!, Ct));
    }

    [Fact]
    public async Task TryGetLocalFile_Prefix_ReturnsNull()
    {
        await WriteAsync("a/b/data", "bytes");

        Assert.Null(_storage.TryGetLocalFile("a/b"));
    }

    [Fact]
    public async Task OpenAppendWriterAsync_PathEscapingRoot_Throws()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _storage.OpenAppendWriterAsync("../x", Ct));

        Assert.False(File.Exists(_temp.Combine("x")));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    [InlineData("../root-sibling/x")]
    [InlineData("/etc/passwd")]
    [InlineData("..")]
    public async Task GetSizeAsync_PathEscapingRoot_Throws(string path)
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _storage.GetSizeAsync(path, Ct));
    }

    [Fact]
    public async Task OpenReadAsync_PathEscapingRoot_Throws()
    {
        await File.WriteAllTextAsync(_temp.Combine("secret"), "outside", Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _storage.OpenReadAsync("../secret", 0, Ct));
    }

    [Fact]
    public async Task DeleteAsync_PathEscapingRoot_ThrowsAndDeletesNothing()
    {
        await File.WriteAllTextAsync(_temp.Combine("keep"), "outside", Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _storage.DeleteAsync("../keep", Ct));

        Assert.True(File.Exists(_temp.Combine("keep")));
    }

    [Fact]
    public async Task DeleteAsync_RootItself_Throws()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _storage.DeleteAsync("", Ct));

        Assert.True(Directory.Exists(_storage.RootDirectory));
    }

    [Fact]
    public async Task MoveAsync_DestinationEscapingRoot_ThrowsAndKeepsSource()
    {
        await WriteAsync("staging/data", "x");

        await Assert.ThrowsAsync<InvalidOperationException>(() => _storage.MoveAsync("staging/data", "../stolen", Ct));

        Assert.False(File.Exists(_temp.Combine("stolen")));
        Assert.Equal(1, await _storage.GetSizeAsync("staging/data", Ct));
    }

    [Fact]
    public async Task ListAsync_PrefixEscapingRoot_Throws()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in _storage.ListAsync("..", Ct))
            {
            }
        });
    }

    [Fact]
    public void TryGetLocalFile_PathEscapingRoot_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => _storage.TryGetLocalFile("../x"));
    }

    [Fact]
    public async Task Constructor_RootWithTrailingSeparator_StoresAndReadsObjects()
    {
        var storage = new FileSystemBlobStorage(_temp.Combine("slashed") + Path.DirectorySeparatorChar);

        await using (var writer = await storage.OpenAppendWriterAsync("a/data", Ct))
        {
            await writer.WriteAsync(Bytes("abc"), Ct);
            await writer.CommitAsync(Ct);
        }

        Assert.Equal(3, await storage.GetSizeAsync("a/data", Ct));
    }

    [Fact]
    public async Task Constructor_RootWithTrailingSeparator_StillRefusesEscapes()
    {
        var storage = new FileSystemBlobStorage(_temp.Combine("slashed") + Path.DirectorySeparatorChar);

        await Assert.ThrowsAsync<InvalidOperationException>(() => storage.GetSizeAsync("../x", Ct));
    }

    [Fact]
    public async Task MoveAsync_Moved_LeavesNoFileAtSourcePath()
    {
        await WriteAsync("staging/data", "content");

        await _storage.MoveAsync("staging/data", "final/data", Ct);

        Assert.False(File.Exists(Path.Combine(_storage.RootDirectory, "staging", "data")));
        Assert.True(File.Exists(Path.Combine(_storage.RootDirectory, "final", "data")));
    }

    [Fact]
    public async Task OpenReadAsync_WhileWriterOpen_ReadsCommittedBytes()
    {
        await WriteAsync("object", "abc");
        await using var writer = await _storage.OpenAppendWriterAsync("object", Ct);

        Assert.Equal("abc", await ReadAsync("object"));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _temp.Dispose();
        }
        base.Dispose(disposing);
    }
}
