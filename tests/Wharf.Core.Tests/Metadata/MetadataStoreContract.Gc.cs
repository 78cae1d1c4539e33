using Wharf.Distribution;
using Wharf.Gc;
using Wharf.Manifests;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Core.Tests.Metadata;

/// <summary>The review queue of online garbage collection: what each event records, and what the
/// re-checks keep and remove.</summary>
public abstract partial class MetadataStoreContract
{
    private const string Worker = "worker-1";

    private IMetadataStore Collecting(TimeSpan? reviewDelay = null)
    {
        Store.ReviewDelay = reviewDelay ?? TimeSpan.Zero;
        return Store;
    }

    private async Task<List<GcCandidate>> ClaimAllAsync(string worker = Worker) =>
        [.. await Store.ClaimReviewsAsync(worker, 1000, TimeSpan.FromMinutes(5), Ct)];

    private Task PutWithReferencesAsync(string repository, ManifestRecord manifest, string? tag, params (Digest, ReferenceKind)[] references) =>
        Store.PutManifestAsync(Repo(repository), manifest, references, tag is null ? [] : [tag], Ct);

    private Task<bool> ClaimUploadAsync(string repository, Digest digest) =>
        Store.TryClaimBlobAsync(new UploadSession(UploadId.New(), Repo(repository), DateTimeOffset.UtcNow), digest, Ct);

    // --- Events record candidates ---

    [Fact]
    public async Task UnlinkBlobAsync_QueuesBlob()
    {
        var store = Collecting();
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);

        await store.UnlinkBlobAsync(Repo("a"), BlobDigest("1"), Ct);

        Assert.Contains(GcCandidate.Blob(BlobDigest("1")), await ClaimAllAsync());
    }

    [Fact]
    public async Task DeleteManifestAsync_QueuesItsBytesReferencesChildrenAndReferrers()
    {
        var store = Collecting();
        var child = Manifest("child");
        var index = Manifest("index");
        var referrer = Manifest("signature") with { Subject = index.Digest };
        await PutAsync("a", child);
        await PutWithReferencesAsync("a", index, "latest", (child.Digest, ReferenceKind.Manifest), (BlobDigest("config"), ReferenceKind.Config));
        await PutWithReferencesAsync("a", referrer, null, (index.Digest, ReferenceKind.Subject));
        await ClaimAllAsync("someone-else");

        await store.DeleteManifestAsync(Repo("a"), index.Digest, Ct);

        var queued = await ClaimAllAsync();
        Assert.Contains(GcCandidate.Blob(index.Digest), queued);
        Assert.Contains(GcCandidate.Blob(BlobDigest("config")), queued);
        Assert.Contains(GcCandidate.Blob(child.Digest), queued);
        Assert.Contains(GcCandidate.Manifest(Repo("a"), child.Digest), queued);
        Assert.Contains(GcCandidate.Manifest(Repo("a"), referrer.Digest), queued);
    }

    [Fact]
    public async Task DeleteTagAsync_QueuesTheManifestItNamed()
    {
        var store = Collecting();
        await PutAsync("a", Manifest("1"), "latest");

        await store.DeleteTagAsync(Repo("a"), "latest", Ct);

        Assert.Contains(GcCandidate.Manifest(Repo("a"), Manifest("1").Digest), await ClaimAllAsync());
    }

    [Fact]
    public async Task PutManifestAsync_TagMoved_QueuesTheManifestItLeft()
    {
        Collecting();
        await PutAsync("a", Manifest("1"), "latest");
        await ClaimAllAsync("someone-else");

        await PutAsync("a", Manifest("2"), "latest");

        var queued = await ClaimAllAsync();
        Assert.Contains(GcCandidate.Manifest(Repo("a"), Manifest("1").Digest), queued);
        Assert.DoesNotContain(GcCandidate.Manifest(Repo("a"), Manifest("2").Digest), queued);
    }

    [Fact]
    public async Task PutManifestAsync_Untagged_QueuesIt()
    {
        Collecting();

        await PutAsync("a", Manifest("1"));

        Assert.Contains(GcCandidate.Manifest(Repo("a"), Manifest("1").Digest), await ClaimAllAsync());
    }

    [Fact]
    public async Task TryClaimBlobAsync_QueuesBlob()
    {
        Collecting();

        Assert.True(await ClaimUploadAsync("a", BlobDigest("1")));

        Assert.Contains(GcCandidate.Blob(BlobDigest("1")), await ClaimAllAsync());
    }

    [Fact]
    public async Task LinkExistingBlobAsync_HeldBlob_LinksAndQueues()
    {
        var store = Collecting();
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);

        Assert.True(await store.LinkExistingBlobAsync(Repo("b"), BlobDigest("1"), Ct));

        Assert.Equal(10, await store.GetLinkedBlobSizeAsync(Repo("b"), BlobDigest("1"), Ct));
        Assert.Contains(GcCandidate.Blob(BlobDigest("1")), await ClaimAllAsync());
    }

    [Fact]
    public async Task LinkExistingBlobAsync_UnknownBlob_ReturnsFalseAndLinksNothing()
    {
        var store = Collecting();

        Assert.False(await store.LinkExistingBlobAsync(Repo("b"), BlobDigest("1"), Ct));

        Assert.Null(await store.GetBlobSizeAsync(BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task ClaimReviewsAsync_BeforeReviewDelay_TakesNothing()
    {
        var store = Collecting(TimeSpan.FromHours(1));
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await store.UnlinkBlobAsync(Repo("a"), BlobDigest("1"), Ct);

        Assert.Empty(await ClaimAllAsync());
    }

    [Fact]
    public async Task ClaimReviewsAsync_Claimed_IsNotGivenToAnotherWorker()
    {
        Collecting();
        await ClaimUploadAsync("a", BlobDigest("1"));
        Assert.Single(await ClaimAllAsync("one"));

        Assert.Empty(await ClaimAllAsync("two"));
    }

    [Fact]
    public async Task ClaimReviewsAsync_ClaimRanOut_IsGivenToAnotherWorker()
    {
        Collecting();
        await ClaimUploadAsync("a", BlobDigest("1"));
        Assert.Single(await Store.ClaimReviewsAsync("one", 10, TimeSpan.FromMilliseconds(1), Ct));
        await Task.Delay(20);

        Assert.Single(await ClaimAllAsync("two"));
    }

    [Fact]
    public async Task ClaimReviewsAsync_ManyWorkersAtOnce_EachCandidateGoesToExactlyOne()
    {
        Collecting();
        for (var i = 0; i < 60; i++)
        {
            await ClaimUploadAsync("a", BlobDigest(i.ToString()));
        }

        var batches = await Task.WhenAll(Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            var mine = new List<GcCandidate>();
            while (await Store.ClaimReviewsAsync($"w{w}", 5, TimeSpan.FromMinutes(5), Ct) is { Count: > 0 } batch)
            {
                mine.AddRange(batch);
            }
            return mine;
        })));

        var all = batches.SelectMany(b => b).ToList();
        Assert.Equal(60, all.Count);
        Assert.Equal(60, all.Distinct().Count());
    }

    // --- Re-checks ---

    [Fact]
    public async Task ReviewBlobAsync_NothingUsesIt_RemovesLinkAndRowAndRecordsDeletion()
    {
        var store = Collecting();
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await store.UnlinkBlobAsync(Repo("b"), BlobDigest("1"), Ct);

        var review = await store.ReviewBlobAsync(Worker, BlobDigest("1"), Ct);

        Assert.True(review.Deleted);
        Assert.Equal(10, review.Size);
        Assert.Equal([Repo("a")], review.UnlinkedFrom);
        Assert.Null(await store.GetBlobSizeAsync(BlobDigest("1"), Ct));
        Assert.Contains(BlobDigest("1"), (await store.ListBlobDeletionsAsync(DateTimeOffset.MaxValue, Ct)).Select(d => d.Digest));
    }

    [Fact]
    public async Task ReviewBlobAsync_ReferencedByManifest_KeepsBlobAndLink()
    {
        var store = Collecting();
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await PutWithReferencesAsync("a", Manifest("1"), "latest", (BlobDigest("1"), ReferenceKind.Layer));

        var review = await store.ReviewBlobAsync(Worker, BlobDigest("1"), Ct);

        Assert.False(review.Deleted);
        Assert.Empty(review.UnlinkedFrom);
        Assert.Equal(10, await store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task ReviewBlobAsync_UsedInOneRepositoryOnly_RemovesTheOtherLinkAndKeepsBlob()
    {
        var store = Collecting();
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await store.LinkBlobAsync(Repo("b"), BlobDigest("1"), 10, Ct);
        await PutWithReferencesAsync("a", Manifest("1"), "latest", (BlobDigest("1"), ReferenceKind.Layer));

        var review = await store.ReviewBlobAsync(Worker, BlobDigest("1"), Ct);

        Assert.False(review.Deleted);
        Assert.Equal([Repo("b")], review.UnlinkedFrom);
        Assert.Null(await store.GetLinkedBlobSizeAsync(Repo("b"), BlobDigest("1"), Ct));
        Assert.Equal(10, await store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task ReviewBlobAsync_LinkYoungerThanReviewDelay_KeepsItAndReviewsLater()
    {
        var store = Collecting(TimeSpan.FromHours(1));
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);

        var review = await store.ReviewBlobAsync(Worker, BlobDigest("1"), Ct);

        Assert.False(review.Deleted);
        Assert.Equal(10, await store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
        Assert.Equal(1, (await store.GetStorageUsageAsync(DateTimeOffset.UtcNow, Ct)).QueuedReviews);
    }

    [Fact]
    public async Task ReviewBlobAsync_ManifestBytes_KeptWhileTheManifestIs()
    {
        var store = Collecting();
        await PutAsync("a", Manifest("1"), "latest");

        var review = await store.ReviewBlobAsync(Worker, Manifest("1").Digest, Ct);

        Assert.False(review.Deleted);
        Assert.NotNull(await store.GetBlobSizeAsync(Manifest("1").Digest, Ct));
    }

    [Fact]
    public async Task ReviewBlobAsync_UploadClaimsIt_KeepsIt()
    {
        var store = Collecting();
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await store.UnlinkBlobAsync(Repo("a"), BlobDigest("1"), Ct);
        Assert.True(await ClaimUploadAsync("b", BlobDigest("1")));

        var review = await store.ReviewBlobAsync(Worker, BlobDigest("1"), Ct);

        Assert.False(review.Deleted);
        Assert.NotNull(await store.GetBlobSizeAsync(BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task ReviewBlobAsync_BytesTheMetadataNeverKnew_RecordsDeletion()
    {
        var store = Collecting();

        var review = await store.ReviewBlobAsync(Worker, BlobDigest("orphan"), Ct);

        Assert.True(review.Deleted);
        Assert.Null(review.Size);
    }

    [Fact]
    public async Task ReviewBlobAsync_ConsumesTheClaimedCandidate()
    {
        var store = Collecting();
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await store.UnlinkBlobAsync(Repo("a"), BlobDigest("1"), Ct);
        Assert.Single(await ClaimAllAsync());

        await store.ReviewBlobAsync(Worker, BlobDigest("1"), Ct);

        Assert.Equal(0, (await store.GetStorageUsageAsync(DateTimeOffset.UtcNow, Ct)).QueuedReviews);
    }

    [Fact]
    public async Task TryClaimBlobAsync_WhileBeingDeleted_IsRefusedUntilFinished()
    {
        var store = Collecting();
        await store.ReviewBlobAsync(Worker, BlobDigest("1"), Ct);

        Assert.False(await ClaimUploadAsync("a", BlobDigest("1")));
        await store.FinishBlobDeletionAsync(BlobDigest("1"), Ct);
        Assert.True(await ClaimUploadAsync("a", BlobDigest("1")));
    }

    [Fact]
    public async Task CompleteUploadAsync_LinksBlobAndEndsUpload()
    {
        var store = Collecting();
        var session = new UploadSession(UploadId.New(), Repo("a"), DateTimeOffset.UtcNow);
        await store.CreateUploadAsync(session, Ct);
        Assert.True(await store.TryClaimBlobAsync(session, BlobDigest("1"), Ct));

        await store.CompleteUploadAsync(session.Id, Repo("a"), BlobDigest("1"), 10, Ct);

        Assert.Equal(10, await store.GetLinkedBlobSizeAsync(Repo("a"), BlobDigest("1"), Ct));
        Assert.Null(await store.GetUploadAsync(session.Id, Ct));
    }

    [Fact]
    public async Task PutManifestAsync_RequiredBlobGone_ThrowsAndStoresNothing()
    {
        var store = Collecting();
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await store.ReviewBlobAsync(Worker, BlobDigest("1"), Ct);

        var e = await Assert.ThrowsAsync<MissingContentException>(() => store.PutManifestAsync(Repo("a"), Manifest("1"),
            [(BlobDigest("1"), ReferenceKind.Layer)], ["latest"], Ct, requiredBlobs: [BlobDigest("1")]));

        Assert.Equal(BlobDigest("1"), e.Digest);
        Assert.Null(await GetByTagAsync("a", "latest"));
    }

    [Fact]
    public async Task PutManifestAsync_RequiredChildGone_Throws()
    {
        var store = Collecting();

        var e = await Assert.ThrowsAsync<MissingContentException>(() => store.PutManifestAsync(Repo("a"), Manifest("index"),
            [(Manifest("child").Digest, ReferenceKind.Manifest)], ["latest"], Ct, requiredManifests: [Manifest("child").Digest]));

        Assert.True(e.IsManifest);
    }

    [Fact]
    public async Task PutManifestAsync_ItsBytesBeingDeleted_Throws()
    {
        var store = Collecting();
        await store.ReviewBlobAsync(Worker, Manifest("1").Digest, Ct);

        await Assert.ThrowsAsync<BlobBeingDeletedException>(() => PutAsync("a", Manifest("1"), "latest"));

        await store.FinishBlobDeletionAsync(Manifest("1").Digest, Ct);
        await PutAsync("a", Manifest("1"), "latest");
        Assert.NotNull(await GetByTagAsync("a", "latest"));
    }

    [Fact]
    public async Task ReviewManifestAsync_UntaggedWithCollectionOn_DeletesItAndQueuesWhatItHeld()
    {
        var store = Collecting();
        await PutWithReferencesAsync("a", Manifest("1"), null, (BlobDigest("layer"), ReferenceKind.Layer));
        await ClaimAllAsync("someone-else");

        Assert.True(await store.ReviewManifestAsync(Worker, Repo("a"), Manifest("1").Digest, deleteUntagged: true, Ct));

        Assert.Null(await GetByDigestAsync("a", Manifest("1").Digest));
        var queued = await ClaimAllAsync();
        Assert.Contains(GcCandidate.Blob(Manifest("1").Digest), queued);
        Assert.Contains(GcCandidate.Blob(BlobDigest("layer")), queued);
    }

    [Fact]
    public async Task ReviewManifestAsync_CollectionOff_KeepsIt()
    {
        var store = Collecting();
        await PutAsync("a", Manifest("1"));

        Assert.False(await store.ReviewManifestAsync(Worker, Repo("a"), Manifest("1").Digest, deleteUntagged: false, Ct));

        Assert.NotNull(await GetByDigestAsync("a", Manifest("1").Digest));
    }

    [Fact]
    public async Task ReviewManifestAsync_Tagged_KeepsIt()
    {
        var store = Collecting();
        await PutAsync("a", Manifest("1"), "latest");

        Assert.False(await store.ReviewManifestAsync(Worker, Repo("a"), Manifest("1").Digest, deleteUntagged: true, Ct));
    }

    [Fact]
    public async Task ReviewManifestAsync_ChildOfAnIndex_KeepsIt()
    {
        var store = Collecting();
        await PutAsync("a", Manifest("child"));
        await PutWithReferencesAsync("a", Manifest("index"), "latest", (Manifest("child").Digest, ReferenceKind.Manifest));

        Assert.False(await store.ReviewManifestAsync(Worker, Repo("a"), Manifest("child").Digest, deleteUntagged: true, Ct));
    }

    [Fact]
    public async Task ReviewManifestAsync_ReferrerOfAnExistingSubject_KeepsIt_AndGoesWithIt()
    {
        var store = Collecting();
        await PutAsync("a", Manifest("image"), "latest");
        var signature = Manifest("signature") with { Subject = Manifest("image").Digest };
        await PutWithReferencesAsync("a", signature, null, (Manifest("image").Digest, ReferenceKind.Subject));

        Assert.False(await store.ReviewManifestAsync(Worker, Repo("a"), signature.Digest, deleteUntagged: true, Ct));
        await store.DeleteManifestAsync(Repo("a"), Manifest("image").Digest, Ct);
        Assert.True(await store.ReviewManifestAsync(Worker, Repo("a"), signature.Digest, deleteUntagged: true, Ct));
    }

    // --- The whole picture ---

    [Fact]
    public async Task PlanCollectionAsync_FindsUnusedManifestsLinksAndBlobs()
    {
        var store = Collecting();
        await store.LinkBlobAsync(Repo("a"), BlobDigest("kept"), 10, Ct);
        await store.LinkBlobAsync(Repo("a"), BlobDigest("unused"), 20, Ct);
        await store.LinkBlobAsync(Repo("a"), BlobDigest("untagged-layer"), 40, Ct);
        await PutWithReferencesAsync("a", Manifest("tagged"), "latest", (BlobDigest("kept"), ReferenceKind.Layer));
        await PutWithReferencesAsync("a", Manifest("untagged"), null, (BlobDigest("untagged-layer"), ReferenceKind.Layer));

        var withUntagged = await store.PlanCollectionAsync(DateTimeOffset.UtcNow, deleteUntagged: true, Ct);
        var without = await store.PlanCollectionAsync(DateTimeOffset.UtcNow, deleteUntagged: false, Ct);

        Assert.Equal([(Repo("a"), Manifest("untagged").Digest)], withUntagged.Manifests);
        Assert.Contains(BlobDigest("untagged-layer"), withUntagged.Blobs.Select(b => b.Digest));
        Assert.Contains(BlobDigest("unused"), withUntagged.Blobs.Select(b => b.Digest));
        Assert.DoesNotContain(BlobDigest("kept"), withUntagged.Blobs.Select(b => b.Digest));
        Assert.Empty(without.Manifests);
        Assert.Equal([(BlobDigest("unused"), 20L)], without.Blobs);
        Assert.Equal([(Repo("a"), BlobDigest("unused"))], without.Links);
    }

    [Fact]
    public async Task GetStorageUsageAsync_CountsSharedBlobsOnceAndExclusiveBytesPerRepository()
    {
        var store = Collecting();
        await store.LinkBlobAsync(Repo("a"), BlobDigest("shared"), 100, Ct);
        await store.LinkBlobAsync(Repo("b"), BlobDigest("shared"), 100, Ct);
        await store.LinkBlobAsync(Repo("a"), BlobDigest("mine"), 7, Ct);

        var usage = await store.GetStorageUsageAsync(DateTimeOffset.UtcNow, Ct);

        Assert.Equal(2, usage.Blobs);
        Assert.Equal(107, usage.Bytes);
        Assert.Equal(new RepositoryUsage(Repo("a"), 2, 107, 7), usage.Repositories.Single(r => r.Repository == Repo("a")));
        Assert.Equal(new RepositoryUsage(Repo("b"), 1, 100, 0), usage.Repositories.Single(r => r.Repository == Repo("b")));
    }

    [Fact]
    public async Task FindUnknownBlobsAsync_ReturnsOnlyDigestsWithoutRow()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);

        Assert.Equal([BlobDigest("2")], await Store.FindUnknownBlobsAsync([BlobDigest("1"), BlobDigest("2")], Ct));
    }

    [Fact]
    public async Task QueueReviewsAsync_AlreadyQueuedEarlier_KeepsItsTime()
    {
        var store = Collecting(TimeSpan.FromHours(1));
        await store.QueueReviewsAsync([GcCandidate.Blob(BlobDigest("1"))], DateTimeOffset.UtcNow.AddHours(-1), Ct);

        await store.QueueReviewsAsync([GcCandidate.Blob(BlobDigest("1"))], DateTimeOffset.UtcNow.AddHours(1), Ct);

        Assert.Single(await ClaimAllAsync());
    }

    [Fact]
    public async Task QueueReviewsAsync_AlreadyQueuedLater_MakesItDueSooner()
    {
        var store = Collecting(TimeSpan.FromHours(1));
        await store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await store.UnlinkBlobAsync(Repo("a"), BlobDigest("1"), Ct);
        Assert.Empty(await ClaimAllAsync());

        await store.QueueReviewsAsync([GcCandidate.Blob(BlobDigest("1"))], DateTimeOffset.UtcNow.AddSeconds(-1), Ct);

        Assert.Single(await ClaimAllAsync());
    }

    // --- Integrity scrub ---

    [Fact]
    public async Task ListBlobsAsync_PagesInDigestOrder()
    {
        var digests = Enumerable.Range(0, 5).Select(i => BlobDigest(i.ToString())).ToList();
        foreach (var digest in digests)
        {
            await Store.LinkBlobAsync(Repo("a"), digest, 1, Ct);
        }

        var first = await Store.ListBlobsAsync(null, 3, Ct);
        var rest = await Store.ListBlobsAsync(first[^1].Digest, 3, Ct);

        Assert.Equal(digests.Select(d => d.ToString()).Order(StringComparer.Ordinal), first.Concat(rest).Select(b => b.Digest.ToString()));
    }

    [Fact]
    public async Task ForgetBrokenBlobAsync_RemovesLinksAndRowAndRecordsDeletion()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);
        await Store.LinkBlobAsync(Repo("b"), BlobDigest("1"), 10, Ct);

        Assert.True(await Store.ForgetBrokenBlobAsync(BlobDigest("1"), Ct));

        Assert.Null(await Store.GetBlobSizeAsync(BlobDigest("1"), Ct));
        Assert.Null(await Store.GetLinkedBlobSizeAsync(Repo("b"), BlobDigest("1"), Ct));
        Assert.Single(await Store.ListBlobDeletionsAsync(DateTimeOffset.MaxValue, Ct));
        Assert.False(await Store.ForgetBrokenBlobAsync(BlobDigest("1"), Ct));
    }

    [Fact]
    public async Task SetProgressAsync_RoundTripsAndClears()
    {
        await Store.SetProgressAsync("scrub", "sha256:ab", Ct);
        Assert.Equal("sha256:ab", await Store.GetProgressAsync("scrub", Ct));

        await Store.SetProgressAsync("scrub", null, Ct);
        Assert.Null(await Store.GetProgressAsync("scrub", Ct));
    }
}
