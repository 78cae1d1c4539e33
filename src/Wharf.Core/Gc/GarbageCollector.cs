using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Registry;
using Wharf.Storage;

namespace Wharf.Gc;

/// <summary>
/// Online garbage collection, after GitLab's metadata-database design. Every event that may leave
/// something unused (a manifest or tag deleted, a tag moved, a blob unlinked, a blob uploaded,
/// mounted or pushed as an untagged manifest) queues candidates in the metadata store, due after
/// the review delay. A worker takes due candidates in small batches (with several replicas each
/// goes to exactly one) and has the store re-check each inside one transaction: what is still used
/// stays, what is not loses its metadata row first. Only then are its bytes deleted, so a crash in
/// between leaves an unreferenced file (found again through the recorded deletion, or by the
/// sweep), never a row without bytes. No lock is taken beyond the rows (or, on PostgreSQL, the one
/// digest) a re-check touches: pushes and pulls go on meanwhile. A push that references a blob under
/// review either commits first (the re-check then sees the reference) or finds the blob gone and
/// answers MANIFEST_BLOB_UNKNOWN, so its client uploads it again.
/// </summary>
public sealed class GarbageCollector(IMetadataStore metadata, IBlobStorage storage, IReplicaChanges changes, TimeProvider time, ManifestCache? manifestCache = null, BlobLinkCache? linkCache = null)
{
    /// <summary>Candidates one claim takes: small, so several workers share a long queue.</summary>
    public const int BatchSize = 100;

    /// <summary>How long a claimed batch is this worker's; one that dies lets it go after this.</summary>
    public static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(5);

    public GcStatistics Statistics { get; } = new();

    /// <summary>Reviews every candidate due now (including those the reviews themselves queue, such
    /// as what an untagged manifest referenced), and finishes deletions that a dead process left.
    /// Under a steady stream of events something is always due: <paramref name="maxDuration"/> ends
    /// the pass after the batch in hand once it has run that long (<see cref="GcPassResult.More"/>
    /// then says more is due). <see cref="Statistics"/> counts each batch as it is done.</summary>
    public async Task<GcPassResult> ReviewDueAsync(string worker, bool deleteUntagged, CancellationToken cancellationToken, TimeSpan? maxDuration = null)
    {
        var result = new GcPassResult();
        var started = time.GetTimestamp();
        await FinishAbandonedDeletionsAsync(cancellationToken);
        while (true)
        {
            var batch = await metadata.ClaimReviewsAsync(worker, BatchSize, ClaimFor, cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }
            var done = new GcPassResult();
            try
            {
                foreach (var candidate in batch)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await ReviewAsync(worker, candidate, deleteUntagged, done);
                }
            }
            finally
            {
                result.Add(done);
                Statistics.Add(done, time.GetUtcNow());
            }
            if (maxDuration is { } limit && time.GetElapsedTime(started) >= limit)
            {
                result.More = true;
                break;
            }
        }
        return result;
    }

    // Once a review has committed, what follows from it is done whatever the token says: the
    // bytes of a deleted row are deleted, and other replicas hear of what changed.
    private async Task ReviewAsync(string worker, GcCandidate candidate, bool deleteUntagged, GcPassResult result)
    {
        result.Reviews++;
        if (candidate.Kind == GcCandidateKind.Manifest)
        {
            var repository = candidate.Repository!;
            if (await metadata.ReviewManifestAsync(worker, repository, candidate.Digest, deleteUntagged, CancellationToken.None))
            {
                result.ManifestsDeleted++;
                manifestCache?.Invalidate(repository);
                await changes.PublishAsync(new RepositoryChange(repository), CancellationToken.None);
            }
            return;
        }
        var review = await metadata.ReviewBlobAsync(worker, candidate.Digest, CancellationToken.None);
        var reviewedAt = time.GetUtcNow();
        foreach (var repository in review.UnlinkedFrom)
        {
            result.LinksRemoved++;
            linkCache?.Remove(repository, candidate.Digest);
            await changes.PublishAsync(new RepositoryChange(repository, candidate.Digest), CancellationToken.None);
        }
        if (review.Deleted)
        {
            var size = review.Size ?? await storage.GetSizeAsync(StoragePaths.Blob(candidate.Digest), CancellationToken.None) ?? 0;
            if (time.GetUtcNow() - reviewedAt >= GcRules.StaleDeletion / 2 && !await StillDeletingAsync(candidate.Digest))
            {
                // This process stalled so long that its deletion counts as abandoned: an upload may
                // have taken the digest over and put the bytes back. They are not this pass's to delete.
                return;
            }
            await DeleteBytesAsync(candidate.Digest);
            result.BlobsDeleted++;
            result.BytesFreed += size;
        }
    }

    private async Task<bool> StillDeletingAsync(Digest digest) =>
        (await metadata.ListBlobDeletionsAsync(DateTimeOffset.MaxValue, CancellationToken.None)).Any(d => d.Digest == digest);

    private async Task DeleteBytesAsync(Digest digest)
    {
        await storage.DeleteAsync(StoragePaths.BlobDirectory(digest), CancellationToken.None);
        await metadata.FinishBlobDeletionAsync(digest, CancellationToken.None);
    }

    /// <summary>Deletions whose row is gone but whose bytes may not be (the process deleting them
    /// died): their bytes are deleted now.</summary>
    public async Task<int> FinishAbandonedDeletionsAsync(CancellationToken cancellationToken)
    {
        // Half the stale age: sooner than an upload waiting on the deletion would give up on it,
        // later than any deletion still in flight in a live process.
        var pending = await metadata.ListBlobDeletionsAsync(time.GetUtcNow() - GcRules.StaleDeletion / 2, cancellationToken);
        foreach (var deletion in pending)
        {
            await DeleteBytesAsync(deletion.Digest);
        }
        return pending.Count;
    }

    /// <summary>Walks the blob store for blobs the metadata does not know (left by a crash, by an
    /// import that was not run, by a failed push) and, unless <paramref name="queue"/> is false,
    /// queues them for review after the review delay: bytes an upload is just putting in place are
    /// claimed by it, and the review leaves them.</summary>
    public async Task<IReadOnlyList<(Digest Digest, long Size)>> SweepAsync(bool queue, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var unknown = new List<(Digest, long)>();
        var batch = new List<Digest>(500);
        long seen = 0;
        async Task FlushAsync()
        {
            var found = await metadata.FindUnknownBlobsAsync(batch, cancellationToken);
            foreach (var digest in found)
            {
                unknown.Add((digest, await storage.GetSizeAsync(StoragePaths.Blob(digest), cancellationToken) ?? 0));
            }
            if (queue && found.Count > 0)
            {
                await metadata.QueueReviewsAsync(found.Select(GcCandidate.Blob).ToList(), time.GetUtcNow() + metadata.ReviewDelay, cancellationToken);
            }
            seen += batch.Count;
            progress?.Report(seen);
            batch.Clear();
        }
        await foreach (var digest in StoredBlobsAsync(cancellationToken))
        {
            batch.Add(digest);
            if (batch.Count == batch.Capacity)
            {
                await FlushAsync();
            }
        }
        await FlushAsync();
        return unknown;
    }

    /// <summary>Every blob in the store, as its directory names it (algorithm, two hex, hex).</summary>
    public async IAsyncEnumerable<Digest> StoredBlobsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var algorithm in storage.ListAsync(StoragePaths.Blobs, cancellationToken))
        {
            await foreach (var shard in storage.ListAsync($"{StoragePaths.Blobs}/{algorithm}", cancellationToken))
            {
                await foreach (var hex in storage.ListAsync($"{StoragePaths.Blobs}/{algorithm}/{shard}", cancellationToken))
                {
                    if (Digest.TryParse($"{algorithm}:{hex}", out var digest) && digest.Hex.StartsWith(shard, StringComparison.Ordinal))
                    {
                        yield return digest;
                    }
                }
            }
        }
    }

    /// <summary>Queues, due now, everything a full look at the metadata finds unused (what no event
    /// recorded: content imported, or from before garbage collection existed). Returns that plan.</summary>
    public async Task<GarbagePlan> QueueEverythingUnusedAsync(bool deleteUntagged, CancellationToken cancellationToken)
    {
        var plan = await metadata.PlanCollectionAsync(time.GetUtcNow(), deleteUntagged, cancellationToken);
        var candidates = plan.Manifests.Select(m => GcCandidate.Manifest(m.Repository, m.Digest))
            .Concat(plan.Links.Select(l => GcCandidate.Blob(l.Digest)))
            .Concat(plan.Blobs.Select(b => GcCandidate.Blob(b.Digest)))
            .Distinct()
            .ToList();
        foreach (var chunk in candidates.Chunk(1000))
        {
            await metadata.QueueReviewsAsync(chunk, time.GetUtcNow(), cancellationToken);
        }
        return plan;
    }
}
