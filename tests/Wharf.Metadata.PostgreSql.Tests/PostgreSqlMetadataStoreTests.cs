using Wharf.Core.Tests.Metadata;
using Wharf.Distribution;
using Wharf.Storage;

namespace Wharf.Metadata.PostgreSql.Tests;

/// <summary>Runs the whole <see cref="IMetadataStore"/> contract against PostgreSQL, each test in
/// a fresh schema of the shared test cluster, plus what is particular to a shared database:
/// reopening keeps the data, and several stores (replicas) write to it at once.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlMetadataStoreTests(PostgresServer server) : MetadataStoreContract, IAsyncLifetime
{
    private string _connectionString = "";
    private PostgreSqlMetadataStore? _store;

    protected override IMetadataStore Store => _store ?? throw new InvalidOperationException("the store opens in InitializeAsync");

    public async Task InitializeAsync()
    {
        _connectionString = await server.CreateSchemaAsync();
        _store = await OpenAsync();
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    private Task<PostgreSqlMetadataStore> OpenAsync(TimeProvider? time = null) =>
        PostgreSqlMetadataStore.OpenAsync(_connectionString, time, Ct);

    [Fact]
    public async Task OpenAsync_ExistingDatabase_KeepsBlobLinks()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 77, Ct);

        await using var reopened = await OpenAsync();

        Assert.Equal(77, await reopened.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task OpenAsync_ExistingDatabase_KeepsManifestsAndTags()
    {
        var manifest = Manifest("1") with { ArtifactType = "application/vnd.example+json", AnnotationsJson = "{\"b\": 1, \"a\": 2}" };
        await PutAsync("a", manifest, "latest");

        await using var reopened = await OpenAsync();

        Assert.Equal(manifest, await reopened.GetManifestAsync(Repo("a"), Reference.Parse("latest"), Ct));
    }

    [Fact]
    public async Task OpenAsync_ExistingDatabase_KeepsUploads()
    {
        var session = new UploadSession(UploadId.New(), Repo("a"), DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        await Store.CreateUploadAsync(session, Ct);

        await using var reopened = await OpenAsync();

        Assert.Equal(session, await reopened.GetUploadAsync(session.Id, Ct));
    }

    [Fact]
    public async Task GetUploadAsync_StartedAtWithOffset_ReturnsSameInstant()
    {
        var startedAt = new DateTimeOffset(2024, 5, 6, 7, 8, 9, 123, TimeSpan.FromHours(2));
        var session = new UploadSession(UploadId.New(), Repo("a"), startedAt);

        await Store.CreateUploadAsync(session, Ct);

        Assert.Equal(startedAt, (await Store.GetUploadAsync(session.Id, Ct))!.StartedAt);
    }

    [Fact]
    public async Task LinkBlobAsync_TwoStoresOnSameDatabase_BothSeeTheWrites()
    {
        await using var other = await OpenAsync();

        await Task.WhenAll(
            Task.Run(() => Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 1, Ct)),
            Task.Run(() => other.LinkBlobAsync(Repo("a"), BlobDigest("2"), 2, Ct)));

        Assert.Equal(2, await Store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("2"), Ct));
        Assert.Equal(1, await other.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task PutManifestAsync_ReplicasMovingTheSameTagsAtOnce_AllSucceed()
    {
        // Two replicas, each pushing manifests that move the same tags, named in opposite orders:
        // row locks taken in different orders would deadlock without sorting and retries.
        await using var other = await OpenAsync();
        string[] tags = ["a", "b", "c", "d"];

        await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(() =>
            (i % 2 == 0 ? Store : other).PutManifestAsync(Repo("shared"), Manifest($"{i}"), NoReferences,
                i % 2 == 0 ? tags : [.. tags.Reverse()], Ct))));

        var page = await Store.ListTagsAsync(Repo("shared"), null, null, Ct);
        Assert.Equal(tags, page!.Items);
        var tagged = await GetByTagAsync("shared", "a");
        foreach (var tag in tags)
        {
            // One push won each tag last; all four tags were moved together, so they agree.
            Assert.Equal(tagged, await GetByTagAsync("shared", tag));
        }
    }

    [Fact]
    public async Task PutManifestAsync_ConcurrentWithDeletesOfTheManifest_NeverFails()
    {
        // A push that finds the manifest already stored must not point its tag at a row that a
        // concurrent delete removes before the push commits.
        var manifest = Manifest("contested");
        await using var other = await OpenAsync();

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => i % 2 == 0
            ? Store.PutManifestAsync(Repo("a"), manifest, NoReferences, ["latest"], Ct)
            : other.DeleteManifestAsync(Repo("a"), manifest.Digest, Ct))));

        await PutAsync("a", manifest, "latest");
        Assert.Equal(manifest, await GetByTagAsync("a", "latest"));
    }

    [Fact]
    public async Task PutManifestAsync_TimeProvider_DoesNotAffectRoundTrip()
    {
        await using var store = await OpenAsync(new FixedTime(DateTimeOffset.UnixEpoch));
        var manifest = Manifest("1");

        await store.PutManifestAsync(Repo("a"), manifest, NoReferences, ["latest"], Ct);

        Assert.Equal(manifest, await store.GetManifestAsync(Repo("a"), Reference.Parse("latest"), Ct));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
