using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    // Millisecond precision: what any store can be expected to keep.
    private static readonly DateTimeOffset StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);

    [Fact]
    public async Task GetUploadAsync_CreatedUpload_ReturnsSession()
    {
        var session = new UploadSession(UploadId.New(), Repo("library/ubuntu"), StartedAt);

        await Store.CreateUploadAsync(session, Ct);

        Assert.Equal(session, await Store.GetUploadAsync(session.Id, Ct));
    }

    [Fact]
    public async Task GetUploadAsync_UnknownId_ReturnsNull()
    {
        await Store.CreateUploadAsync(new UploadSession(UploadId.New(), Repo("a"), StartedAt), Ct);

        Assert.Null(await Store.GetUploadAsync(UploadId.New(), Ct));
    }

    [Fact]
    public async Task GetUploadAsync_TwoUploads_ReturnsEachWithItsRepository()
    {
        var first = new UploadSession(UploadId.New(), Repo("a"), StartedAt);
        var second = new UploadSession(UploadId.New(), Repo("b"), StartedAt.AddSeconds(1));

        await Store.CreateUploadAsync(first, Ct);
        await Store.CreateUploadAsync(second, Ct);

        Assert.Equal(first, await Store.GetUploadAsync(first.Id, Ct));
        Assert.Equal(second, await Store.GetUploadAsync(second.Id, Ct));
    }

    [Fact]
    public async Task DeleteUploadAsync_CreatedUpload_RemovesIt()
    {
        var session = new UploadSession(UploadId.New(), Repo("a"), StartedAt);
        await Store.CreateUploadAsync(session, Ct);

        await Store.DeleteUploadAsync(session.Id, Ct);

        Assert.Null(await Store.GetUploadAsync(session.Id, Ct));
    }

    [Fact]
    public async Task DeleteUploadAsync_OneOfTwo_LeavesOther()
    {
        var doomed = new UploadSession(UploadId.New(), Repo("a"), StartedAt);
        var kept = new UploadSession(UploadId.New(), Repo("a"), StartedAt);
        await Store.CreateUploadAsync(doomed, Ct);
        await Store.CreateUploadAsync(kept, Ct);

        await Store.DeleteUploadAsync(doomed.Id, Ct);

        Assert.Equal(kept, await Store.GetUploadAsync(kept.Id, Ct));
    }

    [Fact]
    public async Task DeleteUploadAsync_UnknownId_DoesNotThrow()
    {
        await Store.DeleteUploadAsync(UploadId.New(), Ct);

        Assert.Null(await Store.GetUploadAsync(UploadId.New(), Ct));
    }
}
