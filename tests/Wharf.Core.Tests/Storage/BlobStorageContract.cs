using System.Text;
using Wharf.Storage;

namespace Wharf.Core.Tests.Storage;

/// <summary>
/// What every <see cref="IBlobStorage"/> must do. A backend's test class derives from this and
/// supplies a fresh, empty storage in <see cref="Storage"/>.
/// </summary>
public abstract class BlobStorageContract : IDisposable
{
    protected abstract IBlobStorage Storage { get; }

    protected static CancellationToken Ct => CancellationToken.None;

    // --- Append writers ---

    [Fact]
    public async Task OpenAppendWriterAsync_MissingObject_CreatesItOnCommit()
    {
        await WriteAsync("a/b/object", "hello");

        Assert.Equal(5, await Storage.GetSizeAsync("a/b/object", Ct));
        Assert.Equal("hello", await ReadAsync("a/b/object"));
    }

    [Fact]
    public async Task OpenAppendWriterAsync_MissingObject_StartsAtSizeZero()
    {
        await using var writer = await Storage.OpenAppendWriterAsync("new/object", Ct);

        Assert.Equal(0, writer.Size);
    }

    [Fact]
    public async Task OpenAppendWriterAsync_ExistingObject_StartsAtItsSize()
    {
        await WriteAsync("object", "hello");

        await using var writer = await Storage.OpenAppendWriterAsync("object", Ct);

        Assert.Equal(5, writer.Size);
    }

    [Fact]
    public async Task OpenAppendWriterAsync_ExistingObject_ExtendsIt()
    {
        await WriteAsync("object", "hello ");

        await WriteAsync("object", "world");

        Assert.Equal("hello world", await ReadAsync("object"));
        Assert.Equal(11, await Storage.GetSizeAsync("object", Ct));
    }

    [Fact]
    public async Task WriteAsync_SeveralWrites_AppendInOrderAndGrowSize()
    {
        await using (var writer = await Storage.OpenAppendWriterAsync("object", Ct))
        {
            await writer.WriteAsync(Bytes("ab"), Ct);
            Assert.Equal(2, writer.Size);
            await writer.WriteAsync(Bytes("cde"), Ct);
            Assert.Equal(5, writer.Size);
            await writer.CommitAsync(Ct);
        }

        Assert.Equal("abcde", await ReadAsync("object"));
    }

    [Fact]
    public async Task DisposeAsync_UncommittedWriterOnExistingObject_LeavesObjectAsItWas()
    {
        await WriteAsync("object", "hello");

        await using (var writer = await Storage.OpenAppendWriterAsync("object", Ct))
        {
            await writer.WriteAsync(Bytes(" world, not committed"), Ct);
        }

        Assert.Equal(5, await Storage.GetSizeAsync("object", Ct));
        Assert.Equal("hello", await ReadAsync("object"));
    }

    [Fact]
    public async Task DisposeAsync_UncommittedWriterOnMissingObject_LeavesNoObject()
    {
        await using (var writer = await Storage.OpenAppendWriterAsync("object", Ct))
        {
            await writer.WriteAsync(Bytes("not committed"), Ct);
        }

        Assert.Null(await Storage.GetSizeAsync("object", Ct));
    }

    [Fact]
    public async Task DisposeAsync_UncommittedWriterAfterManyWrites_TruncatesBackToCommittedSize()
    {
        await WriteAsync("object", "0123456789");

        await using (var writer = await Storage.OpenAppendWriterAsync("object", Ct))
        {
            for (var i = 0; i < 100; i++)
            {
                await writer.WriteAsync(new byte[1024], Ct);
            }
        }

        Assert.Equal(10, await Storage.GetSizeAsync("object", Ct));
        Assert.Equal("0123456789", await ReadAsync("object"));
    }

    [Fact]
    public async Task DisposeAsync_UncommittedWriter_LaterWriterAppendsAfterCommittedBytes()
    {
        await WriteAsync("object", "abc");
        await using (var abandoned = await Storage.OpenAppendWriterAsync("object", Ct))
        {
            await abandoned.WriteAsync(Bytes("XXXX"), Ct);
        }

        await WriteAsync("object", "def");

        Assert.Equal("abcdef", await ReadAsync("object"));
    }

    [Fact]
    public async Task DisposeAsync_UncommittedWriterWithoutWrites_LeavesObjectAsItWas()
    {
        await WriteAsync("object", "abc");

        await using (await Storage.OpenAppendWriterAsync("object", Ct))
        {
        }

        Assert.Equal("abc", await ReadAsync("object"));
    }

    [Fact]
    public async Task CommitAsync_EmptyWrite_CreatesEmptyObject()
    {
        await using (var writer = await Storage.OpenAppendWriterAsync("empty", Ct))
        {
            await writer.CommitAsync(Ct);
        }

        Assert.Equal(0, await Storage.GetSizeAsync("empty", Ct));
    }

    // --- Size and reads ---

    [Fact]
    public async Task GetSizeAsync_MissingObject_ReturnsNull()
    {
        Assert.Null(await Storage.GetSizeAsync("no/such/object", Ct));
    }

    [Fact]
    public async Task GetSizeAsync_Prefix_ReturnsNull()
    {
        await WriteAsync("dir/object", "x");

        Assert.Null(await Storage.GetSizeAsync("dir", Ct));
    }

    [Fact]
    public async Task OpenReadAsync_MissingObject_ReturnsNull()
    {
        Assert.Null(await Storage.OpenReadAsync("no/such/object", 0, Ct));
    }

    [Fact]
    public async Task OpenReadAsync_OffsetZero_ReadsWholeObject()
    {
        await WriteAsync("object", "0123456789");

        Assert.Equal("0123456789", await ReadAsync("object", 0));
    }

    [Fact]
    public async Task OpenReadAsync_Offset_ReadsFromOffset()
    {
        await WriteAsync("object", "0123456789");

        Assert.Equal("456789", await ReadAsync("object", 4));
    }

    [Fact]
    public async Task OpenReadAsync_OffsetAtEnd_ReadsNothing()
    {
        await WriteAsync("object", "0123456789");

        Assert.Equal("", await ReadAsync("object", 10));
    }

    [Fact]
    public async Task OpenReadAsync_EmptyObject_ReadsNothing()
    {
        await WriteAsync("empty", "");

        Assert.Equal("", await ReadAsync("empty"));
    }

    [Fact]
    public async Task OpenReadAsync_LargeObject_ReadsEveryByte()
    {
        var content = new byte[3 * 1024 * 1024 + 17];
        new Random(42).NextBytes(content);
        await using (var writer = await Storage.OpenAppendWriterAsync("large", Ct))
        {
            await writer.WriteAsync(content, Ct);
            await writer.CommitAsync(Ct);
        }

        await using var stream = await Storage.OpenReadAsync("large", 0, Ct);
        Assert.NotNull(stream);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Ct);

        Assert.Equal(content, copy.ToArray());
    }

    // --- Moves ---

    [Fact]
    public async Task MoveAsync_DestinationMissing_ReturnsMoved()
    {
        await WriteAsync("staging/data", "content");

        Assert.Equal(MoveResult.Moved, await Storage.MoveAsync("staging/data", "final/x/y/data", Ct));
    }

    [Fact]
    public async Task MoveAsync_DestinationMissing_PutsContentAtDestination()
    {
        await WriteAsync("staging/data", "content");

        await Storage.MoveAsync("staging/data", "final/x/y/data", Ct);

        Assert.Equal("content", await ReadAsync("final/x/y/data"));
    }

    [Fact]
    public async Task MoveAsync_DestinationMissing_RemovesSource()
    {
        await WriteAsync("staging/data", "content");

        await Storage.MoveAsync("staging/data", "final/data", Ct);

        Assert.Null(await Storage.GetSizeAsync("staging/data", Ct));
    }

    [Fact]
    public async Task MoveAsync_DestinationExists_ReturnsDestinationExisted()
    {
        await WriteAsync("final/data", "original");
        await WriteAsync("staging/data", "newcomer");

        Assert.Equal(MoveResult.DestinationExisted, await Storage.MoveAsync("staging/data", "final/data", Ct));
    }

    [Fact]
    public async Task MoveAsync_DestinationExists_RemovesSource()
    {
        await WriteAsync("final/data", "original");
        await WriteAsync("staging/data", "newcomer");

        await Storage.MoveAsync("staging/data", "final/data", Ct);

        Assert.Null(await Storage.GetSizeAsync("staging/data", Ct));
    }

    [Fact]
    public async Task MoveAsync_DestinationExists_LeavesDestinationUnchanged()
    {
        await WriteAsync("final/data", "original");
        await WriteAsync("staging/data", "newcomer");

        await Storage.MoveAsync("staging/data", "final/data", Ct);

        Assert.Equal("original", await ReadAsync("final/data"));
    }

    [Fact]
    public async Task MoveAsync_SourceMissing_ReturnsSourceMissing()
    {
        Assert.Equal(MoveResult.SourceMissing, await Storage.MoveAsync("staging/none", "final/data", Ct));
    }

    [Fact]
    public async Task MoveAsync_SourceMissing_CreatesNoDestination()
    {
        await Storage.MoveAsync("staging/none", "final/data", Ct);

        Assert.Null(await Storage.GetSizeAsync("final/data", Ct));
    }

    [Fact]
    public async Task MoveAsync_SourceMissingAndDestinationExists_LeavesDestinationUnchanged()
    {
        await WriteAsync("final/data", "original");

        Assert.Equal(MoveResult.SourceMissing, await Storage.MoveAsync("staging/none", "final/data", Ct));
        Assert.Equal("original", await ReadAsync("final/data"));
    }

    // --- Deletes ---

    [Fact]
    public async Task DeleteAsync_Object_ReturnsTrueAndRemovesIt()
    {
        await WriteAsync("dir/object", "x");

        Assert.True(await Storage.DeleteAsync("dir/object", Ct));
        Assert.Null(await Storage.GetSizeAsync("dir/object", Ct));
    }

    [Fact]
    public async Task DeleteAsync_Object_LeavesSiblings()
    {
        await WriteAsync("dir/object", "x");
        await WriteAsync("dir/sibling", "y");

        await Storage.DeleteAsync("dir/object", Ct);

        Assert.Equal("y", await ReadAsync("dir/sibling"));
    }

    [Fact]
    public async Task DeleteAsync_Prefix_RemovesEverythingUnderIt()
    {
        await WriteAsync("uploads/1/data", "x");
        await WriteAsync("uploads/1/nested/deeper/data", "y");

        Assert.True(await Storage.DeleteAsync("uploads/1", Ct));

        Assert.Null(await Storage.GetSizeAsync("uploads/1/data", Ct));
        Assert.Null(await Storage.GetSizeAsync("uploads/1/nested/deeper/data", Ct));
        Assert.Empty(await ListAsync("uploads"));
    }

    [Fact]
    public async Task DeleteAsync_Prefix_LeavesOtherPrefixes()
    {
        await WriteAsync("uploads/1/data", "x");
        await WriteAsync("uploads/2/data", "y");

        await Storage.DeleteAsync("uploads/1", Ct);

        Assert.Equal("y", await ReadAsync("uploads/2/data"));
    }

    [Fact]
    public async Task DeleteAsync_Missing_ReturnsFalse()
    {
        Assert.False(await Storage.DeleteAsync("no/such/thing", Ct));
    }

    // --- Listing ---

    [Fact]
    public async Task ListAsync_Prefix_ReturnsDirectChildNames()
    {
        await WriteAsync("repo/_uploads/a/data", "1");
        await WriteAsync("repo/_uploads/b/data", "2");
        await WriteAsync("repo/_uploads/c", "3");

        var children = await ListAsync("repo/_uploads");

        Assert.Equal(["a", "b", "c"], children.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ListAsync_Prefix_DoesNotDescendIntoChildren()
    {
        await WriteAsync("top/child/grandchild/data", "1");

        Assert.Equal(["child"], await ListAsync("top"));
    }

    [Fact]
    public async Task ListAsync_MissingPrefix_ReturnsNothing()
    {
        Assert.Empty(await ListAsync("no/such/prefix"));
    }

    // --- Local files ---

    [Fact]
    public async Task TryGetLocalFile_MissingObject_ReturnsNull()
    {
        await WriteAsync("other", "x");

        Assert.Null(Storage.TryGetLocalFile("no/such/object"));
    }

    [Fact]
    public async Task TryGetLocalFile_ExistingObject_IsNullOrFileWithObjectBytes()
    {
        await WriteAsync("object", "local bytes");

        var file = Storage.TryGetLocalFile("object");

        if (file is not null)
        {
            Assert.Equal("local bytes", await File.ReadAllTextAsync(file, Ct));
        }
    }

    // --- Helpers ---

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    protected async Task WriteAsync(string path, string content)
    {
        await using var writer = await Storage.OpenAppendWriterAsync(path, Ct);
        await writer.WriteAsync(Bytes(content), Ct);
        await writer.CommitAsync(Ct);
    }

    protected async Task<string?> ReadAsync(string path, long offset = 0)
    {
        await using var stream = await Storage.OpenReadAsync(path, offset, Ct);
        if (stream is null)
        {
            return null;
        }
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(Ct);
    }

    protected async Task<List<string>> ListAsync(string prefix)
    {
        var names = new List<string>();
        await foreach (var name in Storage.ListAsync(prefix, Ct))
        {
            names.Add(name);
        }
        return names;
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
