using Wharf.Diagnostics;
using Wharf.Distribution;
using Wharf.Gc;
using Wharf.Manifests;
using Wharf.Storage;

namespace Wharf.Metadata;

/// <summary>
/// A metadata store that times every operation (<c>wharf_metadata_operation_duration_seconds</c>)
/// and, when tracing is on, gives each its own span under the request's. Wraps the real store
/// only when metrics or tracing are on, so a server without them pays nothing.
/// </summary>
public sealed class InstrumentedMetadataStore(IMetadataStore inner) : IMetadataStore
{
    /// <summary>The store this one times.</summary>
    public IMetadataStore Inner => inner;

    public TimeSpan ReviewDelay
    {
        get => inner.ReviewDelay;
        set => inner.ReviewDelay = value;
    }

    public async Task<long?> GetLinkedBlobSizeAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken)
    {
        using var scope = Begin("GetLinkedBlobSize");
        return await inner.GetLinkedBlobSizeAsync(repository, digest, cancellationToken);
    }

    public async Task<long?> GetBlobSizeAsync(Digest digest, CancellationToken cancellationToken)
    {
        using var scope = Begin("GetBlobSize");
        return await inner.GetBlobSizeAsync(digest, cancellationToken);
    }

    public async Task LinkBlobAsync(RepositoryName repository, Digest digest, long size, CancellationToken cancellationToken)
    {
        using var scope = Begin("LinkBlob");
        await inner.LinkBlobAsync(repository, digest, size, cancellationToken);
    }

    public async Task<bool> UnlinkBlobAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken)
    {
        using var scope = Begin("UnlinkBlob");
        return await inner.UnlinkBlobAsync(repository, digest, cancellationToken);
    }

    public async Task<IReadOnlyList<Digest>> FindUnlinkedBlobsAsync(RepositoryName repository, IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken)
    {
        using var scope = Begin("FindUnlinkedBlobs");
        return await inner.FindUnlinkedBlobsAsync(repository, digests, cancellationToken);
    }

    public async Task<ManifestRecord?> GetManifestAsync(RepositoryName repository, Reference reference, CancellationToken cancellationToken)
    {
        using var scope = Begin("GetManifest");
        return await inner.GetManifestAsync(repository, reference, cancellationToken);
    }

    public async Task<IReadOnlyList<ManifestRecord>> ListReferrersAsync(RepositoryName repository, Digest subject, string? artifactType, CancellationToken cancellationToken)
    {
        using var scope = Begin("ListReferrers");
        return await inner.ListReferrersAsync(repository, subject, artifactType, cancellationToken);
    }

    public async Task<IReadOnlyList<Digest>> FindMissingManifestsAsync(RepositoryName repository, IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken)
    {
        using var scope = Begin("FindMissingManifests");
        return await inner.FindMissingManifestsAsync(repository, digests, cancellationToken);
    }

    public async Task PutManifestAsync(RepositoryName repository, ManifestRecord manifest, IReadOnlyCollection<(Digest Digest, ReferenceKind Kind)> references, IReadOnlyCollection<string> tags, CancellationToken cancellationToken, IReadOnlyCollection<Digest>? requiredBlobs = null, IReadOnlyCollection<Digest>? requiredManifests = null)
    {
        using var scope = Begin("PutManifest");
        await inner.PutManifestAsync(repository, manifest, references, tags, cancellationToken, requiredBlobs, requiredManifests);
    }

    public async Task<bool> DeleteManifestAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken)
    {
        using var scope = Begin("DeleteManifest");
        return await inner.DeleteManifestAsync(repository, digest, cancellationToken);
    }

    public async Task<bool> DeleteTagAsync(RepositoryName repository, string tag, CancellationToken cancellationToken)
    {
        using var scope = Begin("DeleteTag");
        return await inner.DeleteTagAsync(repository, tag, cancellationToken);
    }

    public async Task<Page<string>?> ListTagsAsync(RepositoryName repository, int? limit, string? last, CancellationToken cancellationToken)
    {
        using var scope = Begin("ListTags");
        return await inner.ListTagsAsync(repository, limit, last, cancellationToken);
    }

    public async Task<Page<string>> ListRepositoriesAsync(int? limit, string? last, CancellationToken cancellationToken)
    {
        using var scope = Begin("ListRepositories");
        return await inner.ListRepositoriesAsync(limit, last, cancellationToken);
    }

    public async Task<bool> LinkExistingBlobAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken)
    {
        using var scope = Begin("LinkExistingBlob");
        return await inner.LinkExistingBlobAsync(repository, digest, cancellationToken);
    }

    public async Task CreateUploadAsync(UploadSession session, CancellationToken cancellationToken)
    {
        using var scope = Begin("CreateUpload");
        await inner.CreateUploadAsync(session, cancellationToken);
    }

    public async Task<UploadSession?> GetUploadAsync(UploadId id, CancellationToken cancellationToken)
    {
        using var scope = Begin("GetUpload");
        return await inner.GetUploadAsync(id, cancellationToken);
    }

    public async Task DeleteUploadAsync(UploadId id, CancellationToken cancellationToken)
    {
        using var scope = Begin("DeleteUpload");
        await inner.DeleteUploadAsync(id, cancellationToken);
    }

    public async Task<IReadOnlyList<UploadSession>> ListUploadsStartedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        using var scope = Begin("ListUploadsStartedBefore");
        return await inner.ListUploadsStartedBeforeAsync(cutoff, limit, cancellationToken);
    }

    public async Task<bool> TryClaimBlobAsync(UploadSession session, Digest digest, CancellationToken cancellationToken)
    {
        using var scope = Begin("TryClaimBlob");
        return await inner.TryClaimBlobAsync(session, digest, cancellationToken);
    }

    public async Task CompleteUploadAsync(UploadId id, RepositoryName repository, Digest digest, long size, CancellationToken cancellationToken)
    {
        using var scope = Begin("CompleteUpload");
        await inner.CompleteUploadAsync(id, repository, digest, size, cancellationToken);
    }

    public async Task QueueReviewsAsync(IReadOnlyCollection<GcCandidate> candidates, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        using var scope = Begin("QueueReviews");
        await inner.QueueReviewsAsync(candidates, dueAt, cancellationToken);
    }

    public async Task<IReadOnlyList<GcCandidate>> ClaimReviewsAsync(string worker, int limit, TimeSpan claimFor, CancellationToken cancellationToken)
    {
        using var scope = Begin("ClaimReviews");
        return await inner.ClaimReviewsAsync(worker, limit, claimFor, cancellationToken);
    }

    public async Task<BlobReview> ReviewBlobAsync(string worker, Digest digest, CancellationToken cancellationToken)
    {
        using var scope = Begin("ReviewBlob");
        return await inner.ReviewBlobAsync(worker, digest, cancellationToken);
    }

    public async Task<bool> ReviewManifestAsync(string worker, RepositoryName repository, Digest digest, bool deleteUntagged, CancellationToken cancellationToken)
    {
        using var scope = Begin("ReviewManifest");
        return await inner.ReviewManifestAsync(worker, repository, digest, deleteUntagged, cancellationToken);
    }

    public async Task<IReadOnlyList<PendingBlobDeletion>> ListBlobDeletionsAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken)
    {
        using var scope = Begin("ListBlobDeletions");
        return await inner.ListBlobDeletionsAsync(startedBefore, cancellationToken);
    }

    public async Task FinishBlobDeletionAsync(Digest digest, CancellationToken cancellationToken)
    {
        using var scope = Begin("FinishBlobDeletion");
        await inner.FinishBlobDeletionAsync(digest, cancellationToken);
    }

    public async Task<IReadOnlyList<Digest>> FindUnknownBlobsAsync(IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken)
    {
        using var scope = Begin("FindUnknownBlobs");
        return await inner.FindUnknownBlobsAsync(digests, cancellationToken);
    }

    public async Task<GarbagePlan> PlanCollectionAsync(DateTimeOffset now, bool deleteUntagged, CancellationToken cancellationToken)
    {
        using var scope = Begin("PlanCollection");
        return await inner.PlanCollectionAsync(now, deleteUntagged, cancellationToken);
    }

    public async Task<StorageUsage> GetStorageUsageAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var scope = Begin("GetStorageUsage");
        return await inner.GetStorageUsageAsync(now, cancellationToken);
    }

    public async Task<IReadOnlyList<StoredBlob>> ListBlobsAsync(Digest? after, int limit, CancellationToken cancellationToken)
    {
        using var scope = Begin("ListBlobs");
        return await inner.ListBlobsAsync(after, limit, cancellationToken);
    }

    public async Task<bool> ForgetBrokenBlobAsync(Digest digest, CancellationToken cancellationToken)
    {
        using var scope = Begin("ForgetBrokenBlob");
        return await inner.ForgetBrokenBlobAsync(digest, cancellationToken);
    }

    public async Task<string?> GetProgressAsync(string name, CancellationToken cancellationToken)
    {
        using var scope = Begin("GetProgress");
        return await inner.GetProgressAsync(name, cancellationToken);
    }

    public async Task SetProgressAsync(string name, string? value, CancellationToken cancellationToken)
    {
        using var scope = Begin("SetProgress");
        await inner.SetProgressAsync(name, value, cancellationToken);
    }

    public async Task<bool> TryAcquireLeaseAsync(string name, string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var scope = Begin("TryAcquireLease");
        return await inner.TryAcquireLeaseAsync(name, holder, duration, cancellationToken);
    }

    public async Task ReleaseLeaseAsync(string name, string holder, CancellationToken cancellationToken)
    {
        using var scope = Begin("ReleaseLease");
        await inner.ReleaseLeaseAsync(name, holder, cancellationToken);
    }

    public async Task<string> GetOrAddSecretAsync(string name, string valueIfAbsent, CancellationToken cancellationToken)
    {
        using var scope = Begin("GetOrAddSecret");
        return await inner.GetOrAddSecretAsync(name, valueIfAbsent, cancellationToken);
    }

    public async Task<MetadataCounts> CountAsync(CancellationToken cancellationToken)
    {
        using var scope = Begin("Count");
        return await inner.CountAsync(cancellationToken);
    }
    public async Task EnqueueEventsAsync(IReadOnlyCollection<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        using var scope = Begin("EnqueueEvents");
        await inner.EnqueueEventsAsync(entries, cancellationToken);
    }

    public async Task<IReadOnlyList<OutboxEvent>> ClaimEventsAsync(string destination, int limit, TimeSpan claimFor, CancellationToken cancellationToken)
    {
        using var scope = Begin("ClaimEvents");
        return await inner.ClaimEventsAsync(destination, limit, claimFor, cancellationToken);
    }

    public async Task CompleteEventsAsync(IReadOnlyCollection<long> sequences, CancellationToken cancellationToken)
    {
        using var scope = Begin("CompleteEvents");
        await inner.CompleteEventsAsync(sequences, cancellationToken);
    }

    public async Task RetryEventsAsync(IReadOnlyCollection<long> sequences, TimeSpan delay, CancellationToken cancellationToken)
    {
        using var scope = Begin("RetryEvents");
        await inner.RetryEventsAsync(sequences, delay, cancellationToken);
    }

    public async Task RecordManifestPullsAsync(IReadOnlyCollection<ManifestPull> pulls, CancellationToken cancellationToken)
    {
        using var scope = Begin("RecordManifestPulls");
        await inner.RecordManifestPullsAsync(pulls, cancellationToken);
    }

    public async Task<IReadOnlyList<ManifestKey>> ListManifestsUnusedSinceAsync(string prefix, DateTimeOffset cutoff, ManifestKey? after, int limit, CancellationToken cancellationToken)
    {
        using var scope = Begin("ListManifestsUnusedSince");
        return await inner.ListManifestsUnusedSinceAsync(prefix, cutoff, after, limit, cancellationToken);
    }

    public async Task<Page<string>> ListRepositoriesContainingAsync(string contains, int limit, string? last, CancellationToken cancellationToken)
    {
        using var scope = Begin("ListRepositoriesContaining");
        return await inner.ListRepositoriesContainingAsync(contains, limit, last, cancellationToken);
    }

    public async Task<IReadOnlyList<RepositorySummary>> GetRepositorySummariesAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        using var scope = Begin("GetRepositorySummaries");
        return await inner.GetRepositorySummariesAsync(names, cancellationToken);
    }

    public async Task<Page<TagSummary>?> ListTagSummariesAsync(RepositoryName repository, string contains, TagOrder order, int limit, string? last, CancellationToken cancellationToken)
    {
        using var scope = Begin("ListTagSummaries");
        return await inner.ListTagSummariesAsync(repository, contains, order, limit, last, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListTagsOfManifestAsync(RepositoryName repository, Digest digest, int limit, CancellationToken cancellationToken)
    {
        using var scope = Begin("ListTagsOfManifest");
        return await inner.ListTagsOfManifestAsync(repository, digest, limit, cancellationToken);
    }

    private static WharfTelemetry.OperationScope Begin(string operation) =>
        WharfTelemetry.Begin(WharfTelemetry.MetadataDuration, "metadata", operation);
}
