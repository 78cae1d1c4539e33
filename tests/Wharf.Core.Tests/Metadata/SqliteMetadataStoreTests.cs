using Microsoft.Data.Sqlite;
using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Core.Tests.Metadata;

/// <summary>Runs the <see cref="IMetadataStore"/> contract against a SQLite file in a temp
/// directory, plus what is particular to SQLite: migrations and reopening the file.</summary>
public sealed class SqliteMetadataStoreTests : MetadataStoreContract
{
    private readonly TempDirectory _temp = new();
    private readonly SqliteMetadataStore _store;

    public SqliteMetadataStoreTests()
    {
        _store = new SqliteMetadataStore(DatabaseFile);
    }

    private string DatabaseFile => _temp.Combine("metadata", "wharf.db");

    protected override IMetadataStore Store => _store;

    [Fact]
    public async Task GetManifestAsync_ManyAtOnce_NoMoreReaderConnectionsThanSet()
    {
        using var store = new SqliteMetadataStore(DatabaseFile) { ReaderConnections = 2 };
        var repository = RepositoryName.Parse("team/app");
        var record = new ManifestRecord(TestDigests.Sha256Of("m"), MediaTypes.OciManifest, 2) { Payload = "{}"u8.ToArray() };
        await store.PutManifestAsync(repository, record, [], ["v1"], CancellationToken.None);

        // More reads at once than connections: those that find both busy wait for one.
        var reads = Enumerable.Range(0, 200).Select(i => Task.Run(() => i % 2 == 0
            ? store.GetManifestAsync(repository, Reference.Parse("v1"), CancellationToken.None)
            : store.GetManifestAsync(repository, Reference.FromDigest(record.Digest), CancellationToken.None)));
        var results = await Task.WhenAll(reads);

        Assert.All(results, r => Assert.Equal(record.Digest, r?.Digest));
        Assert.InRange(store.ReadersOpened, 1, 2);
    }

    [Fact]
    public async Task GetLinkedBlobSizeAsync_OneReaderConnection_EveryReadAnswered()
    {
        using var store = new SqliteMetadataStore(DatabaseFile) { ReaderConnections = 1 };
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 42, Ct);

        var sizes = await ReadLinkAtOnceAsync(store, 100);

        Assert.All(sizes, size => Assert.Equal(42, size));
        Assert.Equal(1, store.ReadersOpened);
    }

    [Fact]
    public async Task ReleaseMemory_AfterReads_ReadersKeptAndStillAnswer()
    {
        using var store = new SqliteMetadataStore(DatabaseFile) { ReaderConnections = 2 };
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 42, Ct);
        await ReadLinkAtOnceAsync(store, 50);
        var opened = store.ReadersOpened;

        store.ReleaseMemory();

        Assert.Equal(42, await store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
        Assert.Equal(opened, store.ReadersOpened);
    }

    /// <summary>The link of blob 1 in repository a, read <paramref name="count"/> times at once.</summary>
    private static Task<long?[]> ReadLinkAtOnceAsync(SqliteMetadataStore store, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(_ => Task.Run(() => store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct))));

    [Fact]
    public void ReaderCacheKiB_BudgetSplitBetweenReaders_AtLeast64KiB()
    {
        using var store = new SqliteMetadataStore(DatabaseFile) { ReaderConnections = 4, ReaderCacheBytes = 32L << 20 };
        using var tiny = new SqliteMetadataStore(DatabaseFile) { ReaderConnections = 4, ReaderCacheBytes = 64 << 10 };

        Assert.Equal(8192, store.ReaderCacheKiB);
        Assert.Equal(64, tiny.ReaderCacheKiB);
    }

    [Fact]
    public void Constructor_MissingDirectory_CreatesDatabaseFile()
    {
        Assert.True(File.Exists(DatabaseFile));
    }

    [Fact]
    public void SchemaVersion_NewDatabase_EqualsNumberOfMigrations()
    {
        Assert.Equal(SqliteSchema.Migrations.Length, _store.SchemaVersion);
    }

    [Fact]
    public void SchemaVersion_ReopenedDatabase_StaysAtNumberOfMigrations()
    {
        using var reopened = new SqliteMetadataStore(DatabaseFile);

        Assert.Equal(SqliteSchema.Migrations.Length, reopened.SchemaVersion);
    }

    [Fact]
    public async Task Constructor_ExistingDatabase_KeepsBlobLinks()
    {
        await _store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 77, Ct);

        using var reopened = new SqliteMetadataStore(DatabaseFile);

        Assert.Equal(77, await reopened.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task Constructor_ExistingDatabase_KeepsManifestsAndTags()
    {
        var manifest = Manifest("1") with { ArtifactType = "application/vnd.example+json" };
        await PutAsync("a", manifest, "latest");

        using var reopened = new SqliteMetadataStore(DatabaseFile);

        Assert.Equal(manifest, await reopened.GetManifestAsync(Repo("a"), Reference.Parse("latest"), Ct));
    }

    [Fact]
    public async Task Constructor_ExistingDatabase_KeepsUploads()
    {
        var session = new UploadSession(UploadId.New(), Repo("a"), DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        await _store.CreateUploadAsync(session, Ct);

        using var reopened = new SqliteMetadataStore(DatabaseFile);

        Assert.Equal(session, await reopened.GetUploadAsync(session.Id, Ct));
    }

    [Fact]
    public async Task Constructor_ExistingDatabaseAfterDispose_KeepsData()
    {
        var otherFile = _temp.Combine("other", "wharf.db");
        using (var first = new SqliteMetadataStore(otherFile))
        {
            await first.LinkBlobAsync(Repo("a"), BlobDigest("1"), 5, Ct);
            await first.PutManifestAsync(Repo("a"), Manifest("1"), NoReferences, ["v1"], Ct);
        }

        using var second = new SqliteMetadataStore(otherFile);

        Assert.Equal(5, await second.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
        Assert.Equal(Manifest("1"), await second.GetManifestAsync(Repo("a"), Reference.Parse("v1"), Ct));
        Assert.Equal(SqliteSchema.Migrations.Length, second.SchemaVersion);
    }

    [Fact]
    public async Task LinkBlobAsync_TwoStoresOnSameFile_BothSeeTheWrites()
    {
        using var other = new SqliteMetadataStore(DatabaseFile);

        await Task.WhenAll(
            Task.Run(() => _store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 1, Ct)),
            Task.Run(() => other.LinkBlobAsync(Repo("a"), BlobDigest("2"), 2, Ct)));

        Assert.Equal(2, await _store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("2"), Ct));
        Assert.Equal(1, await other.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task Constructor_LinksWithoutSizes_FillsThemInFromTheBlobs()
    {
        // A store as Wharf left it before migration 8: links hold no size, the blobs do.
        var file = _temp.Combine("v7", "wharf.db");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using (var connection = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            connection.Open();
            for (var i = 0; i < 7; i++)
            {
                Sql(connection, SqliteSchema.Migrations[i]);
            }
            Sql(connection, "PRAGMA user_version = 7");
            Sql(connection, $"""
                INSERT INTO repositories (id, name, created_at) VALUES (1, 'team/a', 0), (2, 'team/b', 0);
                INSERT INTO blobs (digest, size, created_at) VALUES ('{BlobDigest("1")}', 11, 0), ('{BlobDigest("2")}', 22, 0);
                INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES
                    (1, '{BlobDigest("1")}', 0), (2, '{BlobDigest("1")}', 0), (2, '{BlobDigest("2")}', 0);
                """);
        }

        using var store = new SqliteMetadataStore(file);

        Assert.Equal(SqliteSchema.Migrations.Length, store.SchemaVersion);
        Assert.Equal([11L, 11L, 22L], LinkSizes(file));
        Assert.Equal(11, await store.GetLinkedBlobSizeAsync(Repo("team/a"), BlobDigest("1"), Ct));
        Assert.Equal(22, await store.GetLinkedBlobSizeAsync(Repo("team/b"), BlobDigest("2"), Ct));
        Assert.Null(await store.GetLinkedBlobSizeAsync(Repo("team/a"), BlobDigest("2"), Ct));
    }

    [Fact]
    public async Task GetLinkedBlobSizeAsync_LinkWithoutSize_AnsweredFromTheBlob()
    {
        // A link written by an older Wharf on the same file, after this one migrated it.
        await _store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 33, Ct);
        using (var connection = new SqliteConnection($"Data Source={DatabaseFile};Pooling=False"))
        {
            connection.Open();
            Sql(connection, "UPDATE repository_blobs SET size = NULL");
        }

        using var reopened = new SqliteMetadataStore(DatabaseFile);

        Assert.Equal(33, await reopened.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task LinkBlobAsync_EveryWayOfLinking_LinkHoldsTheBlobsSize()
    {
        await _store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        // A second link of the same blob with another size claimed: the blob's row is the truth.
        await _store.LinkBlobAsync(Repo("b"), BlobDigest("1"), 99, Ct);
        await _store.LinkExistingBlobAsync(Repo("c"), BlobDigest("1"), Ct);
        var session = new UploadSession(UploadId.New(), Repo("d"), DateTimeOffset.UtcNow);
        await _store.CreateUploadAsync(session, Ct);
        await _store.CompleteUploadAsync(session.Id, Repo("d"), BlobDigest("1"), 10, Ct);

        Assert.Equal([10L, 10L, 10L, 10L], LinkSizes(DatabaseFile));
        Assert.Equal(10, await _store.GetLinkedBlobSizeAsync(Repo("b"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task Reads_OneAfterAnother_ShareOneSnapshot()
    {
        using var store = new SqliteMetadataStore(DatabaseFile) { ReaderConnections = 1, ReaderSnapshotAge = TimeSpan.FromHours(1) };
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 5, Ct);

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(5, await store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
        }

        Assert.Equal(1, store.SnapshotsBegun);
    }

    [Fact]
    public async Task Reads_AfterAWriteThroughTheStore_SeeIt_HoweverYoungTheSnapshot()
    {
        using var store = new SqliteMetadataStore(DatabaseFile) { ReaderConnections = 1, ReaderSnapshotAge = TimeSpan.FromHours(1) };
        Assert.Null(await store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
        Assert.Null(await store.GetManifestAsync(Repo("a"), Reference.Parse("v1"), Ct));

        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 5, Ct);
        Assert.Equal(5, await store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
        await store.PutManifestAsync(Repo("a"), Manifest("1"), NoReferences, ["v1"], Ct);
        Assert.Equal(Manifest("1"), await store.GetManifestAsync(Repo("a"), Reference.Parse("v1"), Ct));
        await store.DeleteTagAsync(Repo("a"), "v1", Ct);

        Assert.Null(await store.GetManifestAsync(Repo("a"), Reference.Parse("v1"), Ct));
    }

    [Fact]
    public async Task Reads_AfterAWriteThroughAnotherStoreOnTheSameFile_SeeIt()
    {
        using var reading = new SqliteMetadataStore(DatabaseFile) { ReaderConnections = 1, ReaderSnapshotAge = TimeSpan.FromHours(1) };
        using var writing = new SqliteMetadataStore(DatabaseFile);
        Assert.Null(await reading.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));

        await writing.LinkBlobAsync(Repo("a"), BlobDigest("1"), 5, Ct);

        Assert.Equal(5, await reading.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task Reads_AfterAWriteByAnotherConnection_SeeItOnceTheSnapshotAgeHasPassed()
    {
        // Another process on the same file: its writes bump no counter here.
        using var store = new SqliteMetadataStore(DatabaseFile) { ReaderConnections = 1, ReaderSnapshotAge = TimeSpan.FromMilliseconds(50) };
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 5, Ct);
        Assert.Null(await store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("2"), Ct));
        using (var other = new SqliteConnection($"Data Source={DatabaseFile};Pooling=False"))
        {
            other.Open();
            Sql(other, $"""
                INSERT INTO blobs (digest, size, created_at) VALUES ('{BlobDigest("2")}', 7, 0);
                INSERT INTO repository_blobs (repository_id, digest, size, created_at)
                    SELECT id, '{BlobDigest("2")}', 7, 0 FROM repositories WHERE name = 'a';
                """);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(150));

        Assert.Equal(7, await store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("2"), Ct));
    }

    [Fact]
    public async Task Readers_OnceIdle_LetTheWalBeCheckpointedWhole()
    {
        using var store = new SqliteMetadataStore(DatabaseFile) { ReaderConnections = 2, ReaderSnapshotAge = TimeSpan.FromHours(1) };
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 5, Ct);
        await ReadLinkAtOnceAsync(store, 20);
        await store.LinkBlobAsync(Repo("a"), BlobDigest("2"), 6, Ct);

        // The idle readers' snapshots are swept a few milliseconds after their last read; a
        // snapshot still held would leave the checkpoint busy (1) and the WAL not emptied.
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        using var other = new SqliteConnection($"Data Source={DatabaseFile};Pooling=False;Default Timeout=0");
        other.Open();
        using var checkpoint = other.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        using var result = checkpoint.ExecuteReader();
        Assert.True(result.Read());

        Assert.Equal(0, result.GetInt64(0));
        Assert.Equal(0, new FileInfo(DatabaseFile + "-wal").Length);
    }

    private static List<long> LinkSizes(string file)
    {
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT size FROM repository_blobs ORDER BY repository_id, size";
        using var reader = command.ExecuteReader();
        var sizes = new List<long>();
        while (reader.Read())
        {
            sizes.Add(reader.GetInt64(0));
        }
        return sizes;
    }

    private static void Sql(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public async Task PutManifestAsync_TimeProvider_DoesNotAffectRoundTrip()
    {
        using var store = new SqliteMetadataStore(_temp.Combine("clock", "wharf.db"), new FixedTime(DateTimeOffset.UnixEpoch));
        var manifest = Manifest("1");

        await store.PutManifestAsync(Repo("a"), manifest, NoReferences, ["latest"], Ct);

        Assert.Equal(manifest, await store.GetManifestAsync(Repo("a"), Reference.Parse("latest"), Ct));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _store.Dispose();
            _temp.Dispose();
        }
        base.Dispose(disposing);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
