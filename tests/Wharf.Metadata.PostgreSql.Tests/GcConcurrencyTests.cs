using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Gc;
using Wharf.Manifests;
using Wharf.Storage;
using Xunit.Abstractions;

namespace Wharf.Metadata.PostgreSql.Tests;

/// <summary>Garbage collection's re-checks against the writes they race with, on the real engine:
/// several stores (replicas) on one schema, each with its own connections, so that only the
/// database's locks keep them apart. Each race runs many rounds with fresh digests, both sides
/// started at once; whichever wins a round, the outcome must be one of the two consistent ones.</summary>
[Collection(PostgresCollection.Name)]
public sealed class GcConcurrencyTests(PostgresServer server, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Rounds = 50;
    private static readonly RepositoryName Repository = RepositoryName.Parse("race");
    private readonly List<PostgreSqlMetadataStore> _stores = [];
    private string _connectionString = "";

    private static CancellationToken Ct => CancellationToken.None;

    public async Task InitializeAsync() => _connectionString = await server.CreateSchemaAsync();

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }

    /// <summary>Stores on the same schema that collect at once: no review delay.</summary>
    private async Task<PostgreSqlMetadataStore[]> OpenReplicasAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var store = await PostgreSqlMetadataStore.OpenAsync(_connectionString, null, Ct);
            store.ReviewDelay = TimeSpan.Zero;
            _stores.Add(store);
        }
        return [.. _stores];
    }

    private static Digest Fresh(string what) => TestDigests.Sha256Of($"{what}:{Guid.NewGuid():N}");

    [Fact]
    public async Task ClaimReviewsAsync_ReplicasClaimingOneQueueAtOnce_EachCandidateGoesToExactlyOne()
    {
        var replicas = await OpenReplicasAsync(4);
        var queued = Enumerable.Range(0, 200)
            .Select(i => i % 4 == 0 ? GcCandidate.Manifest(Repository, Fresh("manifest")) : GcCandidate.Blob(Fresh("blob")))
            .ToList();
        await replicas[0].QueueReviewsAsync(queued, DateTimeOffset.UtcNow.AddMinutes(-1), Ct);

        // Two workers per replica, small batches: many claims overlap.
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var store = replicas[w % replicas.Length];
            var mine = new List<GcCandidate>();
            while (await store.ClaimReviewsAsync($"replica{w % replicas.Length}-worker{w}", 7, TimeSpan.FromMinutes(5), Ct) is { Count: > 0 } batch)
            {
                mine.AddRange(batch);
            }
            return mine;
        })));

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(queued.Count, all.Count);
        Assert.Equal(queued.ToHashSet(), all.ToHashSet());
        Assert.True(claims.Count(c => c.Count > 0) > 1, "the claims should have been shared among the workers");
    }

    [Fact]
    public async Task PutManifestAsync_RacingReviewOfItsBlob_NeverStoresAManifestWithoutItsBlob()
    {
        var replicas = await OpenReplicasAsync(2);
        var (stored, refused) = (0, 0);
        for (var round = 0; round < Rounds; round++)
        {
            // A blob linked but used by nothing yet, so a review may delete it, and a push that needs it.
            var blob = Fresh("layer");
            var manifest = new ManifestRecord(Fresh("manifest"), MediaTypes.OciManifest, 100);
            await replicas[0].LinkBlobAsync(Repository, blob, 10, Ct);

            var push = Task.Run(async () =>
            {
                try
                {
                    await replicas[0].PutManifestAsync(Repository, manifest, [(blob, ReferenceKind.Layer)], [$"round{round}"], Ct, requiredBlobs: [blob]);
                    return true;
                }
                catch (MissingContentException e) when (e.Digest == blob)
                {
                    return false;
                }
            });
            var review = Task.Run(() => replicas[1].ReviewBlobAsync("collector", blob, Ct));
            await Task.WhenAll(push, review);
            var (pushed, reviewed) = (await push, await review);

            var manifestRow = await replicas[0].GetManifestAsync(Repository, Reference.FromDigest(manifest.Digest), Ct);
            var blobSize = await replicas[0].GetBlobSizeAsync(blob, Ct);
            var linkedSize = await replicas[0].GetLinkedBlobSizeAsync(Repository, blob, Ct);
            if (pushed)
            {
                // The push won: the review saw the manifest use the blob and kept all of it.
                stored++;
                Assert.NotNull(manifestRow);
                Assert.Equal(10, blobSize);
                Assert.Equal(10, linkedSize);
                Assert.False(reviewed.Deleted, $"round {round}: the review deleted a blob a stored manifest uses");
            }
            else
            {
                // The review won: the push saw the link gone and stored nothing.
                refused++;
                Assert.Null(manifestRow);
                Assert.Null(blobSize);
                Assert.True(reviewed.Deleted, $"round {round}: the push was refused, yet the blob was kept");
            }
        }
        output.WriteLine($"{stored} pushes stored, {refused} refused");
    }

    [Fact]
    public async Task PutManifestAsync_IndexRacingReviewOfItsUntaggedChild_NeverStoresAnIndexWithoutItsChild()
    {
        var replicas = await OpenReplicasAsync(2);
        var (stored, refused) = (0, 0);
        for (var round = 0; round < Rounds; round++)
        {
            // A child pushed by digest alone, which untagged collection may delete, and the index that lists it.
            var child = new ManifestRecord(Fresh("child"), MediaTypes.OciManifest, 100);
            var index = new ManifestRecord(Fresh("index"), MediaTypes.OciIndex, 200);
            await replicas[0].PutManifestAsync(Repository, child, [], [], Ct);

            var push = Task.Run(async () =>
            {
                try
                {
                    await replicas[0].PutManifestAsync(Repository, index, [(child.Digest, ReferenceKind.Manifest)], [$"round{round}"], Ct,
                        requiredManifests: [child.Digest]);
                    return true;
                }
                catch (MissingContentException e) when (e.Digest == child.Digest && e.IsManifest)
                {
                    return false;
                }
            });
            var review = Task.Run(() => replicas[1].ReviewManifestAsync("collector", Repository, child.Digest, deleteUntagged: true, Ct));
            await Task.WhenAll(push, review);
            var (pushed, deleted) = (await push, await review);

            var indexRow = await replicas[0].GetManifestAsync(Repository, Reference.FromDigest(index.Digest), Ct);
            var childRow = await replicas[0].GetManifestAsync(Repository, Reference.FromDigest(child.Digest), Ct);
            if (pushed)
            {
                stored++;
                Assert.NotNull(indexRow);
                Assert.NotNull(childRow);
                Assert.False(deleted, $"round {round}: the review deleted a child a stored index lists");
            }
            else
            {
                refused++;
                Assert.Null(indexRow);
                Assert.Null(childRow);
                Assert.True(deleted, $"round {round}: the push was refused, yet the child was kept");
            }
        }
        output.WriteLine($"{stored} indexes stored, {refused} refused");
    }

    [Fact]
    public async Task TryClaimBlobAsync_RacingReviewOfTheBlob_EitherClaimsAndKeepsItOrIsRefused()
    {
        var replicas = await OpenReplicasAsync(2);
        var (claimed, refused) = (0, 0);
        for (var round = 0; round < Rounds; round++)
        {
            // Unused: a review deletes it unless an upload's claim holds it.
            var blob = Fresh("upload");
            await replicas[0].LinkBlobAsync(Repository, blob, 10, Ct);
            var session = new UploadSession(UploadId.New(), Repository, DateTimeOffset.UtcNow);

            var claim = Task.Run(() => replicas[0].TryClaimBlobAsync(session, blob, Ct));
            var review = Task.Run(() => replicas[1].ReviewBlobAsync("collector", blob, Ct));
            await Task.WhenAll(claim, review);
            var (claimedIt, reviewed) = (await claim, await review);

            var blobSize = await replicas[0].GetBlobSizeAsync(blob, Ct);
            if (claimedIt)
            {
                claimed++;
                Assert.Equal(10, blobSize);
                Assert.False(reviewed.Deleted, $"round {round}: the review deleted a blob an upload had claimed");
            }
            else
            {
                // Refused only while a deletion is recorded, which only a review that won does.
                refused++;
                Assert.True(reviewed.Deleted, $"round {round}: the claim was refused, yet nothing was deleted");
                Assert.Null(blobSize);
            }
        }
        output.WriteLine($"{claimed} claims succeeded, {refused} refused");
    }
}
