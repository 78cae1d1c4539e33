using System.Text;
using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Gc;
using Wharf.Manifests;
using Wharf.Metadata;
using Wharf.Registry;
using Wharf.Storage;

namespace Wharf.Core.Tests.Gc;

/// <summary>
/// Garbage collection over a metadata store and a blob storage together: rows go first and bytes
/// second, a crash between the two is recovered, and several workers share the queue. A backend
/// pair's test class derives from this and supplies fresh, empty stores on <see cref="Time"/>.
/// </summary>
public abstract class GarbageCollectorContract : IDisposable
{
    protected static CancellationToken Ct => CancellationToken.None;

    protected ManualTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    protected abstract IMetadataStore Store { get; }

    protected abstract IBlobStorage Storage { get; }

    private GarbageCollector Collector(IBlobStorage? storage = null) => new(Store, storage ?? Storage, new SingleProcessChanges(), Time);

    private static RepositoryName Repo(string name) => RepositoryName.Parse(name);

    /// <summary>Stores bytes as an upload does (claim, bytes in place, link) and returns their digest.</summary>
    private async Task<Digest> UploadAsync(string repository, string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var digest = TestDigests.Sha256Of(bytes);
        var session = new UploadSession(UploadId.New(), Repo(repository), Time.GetUtcNow());
        Assert.True(await Store.TryClaimBlobAsync(session, digest, Ct));
        await WriteBytesAsync(digest, bytes);
        await Store.CompleteUploadAsync(session.Id, Repo(repository), digest, bytes.Length, Ct);
        return digest;
    }

    private async Task WriteBytesAsync(Digest digest, byte[] bytes)
    {
        var staged = $"staging/{Guid.NewGuid():N}";
        await using (var writer = await Storage.OpenAppendWriterAsync(staged, Ct))
        {
            await writer.WriteAsync(bytes, Ct);
            await writer.CommitAsync(Ct);
        }
        await Storage.MoveAsync(staged, StoragePaths.Blob(digest), Ct);
    }

    private async Task<ManifestRecord> PushManifestAsync(string repository, string tag, params Digest[] layers)
    {
        var bytes = Encoding.UTF8.GetBytes($"manifest of {repository}:{tag} with {string.Join(',', layers)}");
        var record = new ManifestRecord(TestDigests.Sha256Of(bytes), MediaTypes.OciManifest, bytes.Length);
        await WriteBytesAsync(record.Digest, bytes);
        await Store.PutManifestAsync(Repo(repository), record, layers.Select(l => (l, ReferenceKind.Layer)).ToList(), [tag], Ct, requiredBlobs: layers);
        return record;
    }

    private async Task<bool> BytesExistAsync(Digest digest) => await Storage.GetSizeAsync(StoragePaths.Blob(digest), Ct) is not null;

    private Task<GcPassResult> CollectAsync(string worker = "w") => Collector().ReviewDueAsync(worker, deleteUntagged: false, Ct);

    /// <summary>An unused blob whose review committed (row gone, deletion recorded) and whose
    /// process died before deleting the bytes, as the collector sees it.</summary>
    private async Task<Digest> CrashBetweenRowAndBytesAsync()
    {
        Store.ReviewDelay = TimeSpan.Zero;
        var blob = await UploadAsync("app", "orphan");
        await Store.UnlinkBlobAsync(Repo("app"), blob, Ct);
        await Assert.ThrowsAsync<IOException>(() => Collector(FailingDeletes(Storage)).ReviewDueAsync("w", false, Ct));
        return blob;
    }

    [Fact]
    public async Task ReviewDueAsync_DeletedManifest_FreesWhatOnlyItHeldAndKeepsTheRest()
    {
        Store.ReviewDelay = TimeSpan.Zero;
        var shared = await UploadAsync("app", "base layer");
        var own = await UploadAsync("app", "own layer");
        var other = await UploadAsync("app", "other layer");
        var deleted = await PushManifestAsync("app", "old", shared, own);
        var kept = await PushManifestAsync("app", "new", shared, other);

        await Store.DeleteManifestAsync(Repo("app"), deleted.Digest, Ct);
        var pass = await CollectAsync();

        Assert.False(await BytesExistAsync(deleted.Digest));
        Assert.False(await BytesExistAsync(own));
        Assert.Null(await Store.GetBlobSizeAsync(own, Ct));
        Assert.True(await BytesExistAsync(shared));
        Assert.True(await BytesExistAsync(other));
        Assert.True(await BytesExistAsync(kept.Digest));
        Assert.Equal(2, pass.BlobsDeleted);
        Assert.Equal("own layer".Length + deleted.Size, pass.BytesFreed);
        Assert.Empty(await Store.ListBlobDeletionsAsync(DateTimeOffset.MaxValue, Ct));
    }

    [Fact]
    public async Task ReviewDueAsync_BeforeReviewDelay_DeletesNothing()
    {
        Store.ReviewDelay = TimeSpan.FromHours(1);
        var blob = await UploadAsync("app", "never referenced");

        await CollectAsync();
        Assert.True(await BytesExistAsync(blob));

        Time.Advance(TimeSpan.FromHours(2));
        await CollectAsync();
        Assert.False(await BytesExistAsync(blob));
    }

    [Fact]
    public async Task ReviewDueAsync_BytesCannotBeDeleted_RowIsGoneFirstAndBytesStay()
    {
        var blob = await CrashBetweenRowAndBytesAsync();

        Assert.Null(await Store.GetBlobSizeAsync(blob, Ct));
        Assert.True(await BytesExistAsync(blob));
    }

    [Fact]
    public async Task SweepAsync_AfterCrashBetweenRowAndBytes_FindsAndDeletesTheBytes()
    {
        var blob = await CrashBetweenRowAndBytesAsync();
        Time.Advance(GcRules.StaleDeletion * 2);

        var unknown = await Collector().SweepAsync(queue: true, null, Ct);
        var claimed = await Store.ClaimReviewsAsync("w", 10, TimeSpan.FromMinutes(1), Ct);
        foreach (var candidate in claimed)
        {
            var review = await Store.ReviewBlobAsync("w", candidate.Digest, Ct);
            Assert.True(review.Deleted);
            await Storage.DeleteAsync(StoragePaths.BlobDirectory(candidate.Digest), Ct);
            await Store.FinishBlobDeletionAsync(candidate.Digest, Ct);
        }

        Assert.Equal([blob], unknown.Select(u => u.Digest));
        Assert.False(await BytesExistAsync(blob));
    }

    [Fact]
    public async Task ReviewDueAsync_DeletionLeftByDeadProcess_IsFinished()
    {
        var blob = await CrashBetweenRowAndBytesAsync();
        Time.Advance(GcRules.StaleDeletion);

        await CollectAsync();

        Assert.False(await BytesExistAsync(blob));
        Assert.Empty(await Store.ListBlobDeletionsAsync(DateTimeOffset.MaxValue, Ct));
    }

    [Fact]
    public async Task SweepAsync_BytesUnknownToMetadata_AreDeletedAfterTheReviewDelay()
    {
        Store.ReviewDelay = TimeSpan.FromHours(1);
        var stray = TestDigests.Sha256Of("left by a crash");
        await WriteBytesAsync(stray, Encoding.UTF8.GetBytes("left by a crash"));
        var known = await UploadAsync("app", "known");
        await PushManifestAsync("app", "v1", known);

        var unknown = await Collector().SweepAsync(queue: true, null, Ct);
        await CollectAsync();
        Assert.True(await BytesExistAsync(stray));
        Time.Advance(TimeSpan.FromHours(2));
        await CollectAsync();

        Assert.Equal([stray], unknown.Select(u => u.Digest));
        Assert.False(await BytesExistAsync(stray));
        Assert.True(await BytesExistAsync(known));
    }

    [Fact]
    public async Task ReviewDueAsync_SeveralWorkersAtOnce_EachBlobDeletedByExactlyOne()
    {
        Store.ReviewDelay = TimeSpan.Zero;
        var blobs = new List<Digest>();
        for (var i = 0; i < 40; i++)
        {
            var blob = await UploadAsync("app", $"unused {i}");
            blobs.Add(blob);
        }
        foreach (var blob in blobs)
        {
            await Store.UnlinkBlobAsync(Repo("app"), blob, Ct);
        }

        var passes = await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() => Collector().ReviewDueAsync($"worker-{w}", false, Ct))));

        Assert.Equal(40, passes.Sum(p => p.BlobsDeleted));
        foreach (var blob in blobs)
        {
            Assert.False(await BytesExistAsync(blob));
        }
    }

    [Fact]
    public async Task ReviewDueAsync_WorkerStalledPastStaleDeletion_LeavesBytesAnUploadTookOver()
    {
        Store.ReviewDelay = TimeSpan.Zero;
        var bytes = Encoding.UTF8.GetBytes("unknown, then uploaded again");
        var digest = TestDigests.Sha256Of(bytes);
        await WriteBytesAsync(digest, bytes);
        await Store.QueueReviewsAsync([GcCandidate.Blob(digest)], Time.GetUtcNow(), Ct);
        // Between the review's commit and the deletion of the bytes the worker stalls for two
        // minutes, and meanwhile an upload of the same digest claims it.
        // (The collector asks the size of bytes the metadata never knew right after the review.)
        var stalling = new Intercepting(Storage, beforeSize: async () =>
        {
            Time.Advance(GcRules.StaleDeletion * 2);
            Assert.True(await Store.TryClaimBlobAsync(new UploadSession(UploadId.New(), Repo("app"), Time.GetUtcNow()), digest, Ct));
        });

        var pass = await Collector(stalling).ReviewDueAsync("w", false, Ct);

        Assert.Equal(0, pass.BlobsDeleted);
        Assert.True(await BytesExistAsync(digest));
    }

    [Fact]
    public async Task ReviewDueAsync_TimeLimit_StopsAfterTheBatchInHandAndCountsIt()
    {
        Store.ReviewDelay = TimeSpan.Zero;
        var candidates = Enumerable.Range(0, GarbageCollector.BatchSize + 20).Select(i => GcCandidate.Blob(TestDigests.Sha256Of($"never stored {i}"))).ToList();
        await Store.QueueReviewsAsync(candidates, Time.GetUtcNow(), Ct);
        var collector = Collector();

        var first = await collector.ReviewDueAsync("w", false, Ct, maxDuration: TimeSpan.Zero);
        Assert.True(first.More);
        Assert.Equal(GarbageCollector.BatchSize, first.Reviews);
        Assert.Equal(GarbageCollector.BatchSize, collector.Statistics.Reviews);

        var rest = await collector.ReviewDueAsync("w", false, Ct, maxDuration: TimeSpan.Zero);
        var none = await collector.ReviewDueAsync("w", false, Ct, maxDuration: TimeSpan.Zero);
        Assert.Equal(20, rest.Reviews);
        Assert.False(none.More);
        Assert.Equal(0, none.Reviews);
    }

    [Fact]
    public async Task ReviewDueAsync_PushReferencingBlobUnderReview_NeverLeavesManifestWithoutItsBlob()
    {
        Store.ReviewDelay = TimeSpan.Zero;
        for (var round = 0; round < 20; round++)
        {
            var layer = await UploadAsync("app", $"layer {round}");
            var push = Task.Run(async () =>
            {
                try
                {
                    return await PushManifestAsync("app", $"t{round}", layer);
                }
                catch (MissingContentException)
                {
                    return null;
                }
            });
            var collect = Task.Run(() => CollectAsync());
            await Task.WhenAll(push, collect);

            if (await push is { } manifest)
            {
                Assert.NotNull(await Store.GetLinkedBlobSizeAsync(Repo("app"), layer, Ct));
                Assert.True(await BytesExistAsync(layer), $"round {round}: a stored manifest's layer is gone");
            }
            else
            {
                Assert.Null(await Store.GetBlobSizeAsync(layer, Ct));
            }
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Storage that does what the test says before a size lookup (<paramref name="beforeSize"/>)
    /// or instead of a delete (<paramref name="delete"/>); everything else goes to <paramref name="inner"/>.</summary>
    private sealed class Intercepting(IBlobStorage inner, Func<Task>? beforeSize = null, Func<string, Task<bool>>? delete = null) : IBlobStorage
    {
        public async Task<long?> GetSizeAsync(string path, CancellationToken cancellationToken)
        {
            if (beforeSize is not null)
            {
                await beforeSize();
            }
            return await inner.GetSizeAsync(path, cancellationToken);
        }

        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken) =>
            delete is null ? inner.DeleteAsync(path, cancellationToken) : delete(path);

        public Task<Stream?> OpenReadAsync(string path, long offset, CancellationToken cancellationToken) => inner.OpenReadAsync(path, offset, cancellationToken);
        public Task<IBlobWriter> OpenAppendWriterAsync(string path, CancellationToken cancellationToken) => inner.OpenAppendWriterAsync(path, cancellationToken);
        public Task<MoveResult> MoveAsync(string sourcePath, string destinationPath, CancellationToken cancellationToken) => inner.MoveAsync(sourcePath, destinationPath, cancellationToken);
        public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);
        public string? TryGetLocalFile(string path) => inner.TryGetLocalFile(path);
    }

    /// <summary>Storage whose deletes fail, as if the process died before they ran.</summary>
    private static Intercepting FailingDeletes(IBlobStorage inner) => new(inner, delete: _ => throw new IOException("the process died here"));
}

/// <summary>The embedded pair: SQLite and the local filesystem.</summary>
public sealed class SqliteFileSystemGarbageCollectorTests : GarbageCollectorContract
{
    private readonly TempDirectory _temp = new();
    private readonly SqliteMetadataStore _store;
    private readonly FileSystemBlobStorage _storage;

    public SqliteFileSystemGarbageCollectorTests()
    {
        _store = new SqliteMetadataStore(_temp.Combine("wharf.db"), Time);
        _storage = new FileSystemBlobStorage(_temp.Combine("storage"));
    }

    protected override IMetadataStore Store => _store;

    protected override IBlobStorage Storage => _storage;

    protected override void Dispose(bool disposing)
    {
        _store.Dispose();
        _temp.Dispose();
        base.Dispose(disposing);
    }
}
