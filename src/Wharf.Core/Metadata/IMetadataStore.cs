using Wharf.Distribution;
using Wharf.Gc;
using Wharf.Manifests;
using Wharf.Storage;

namespace Wharf.Metadata;

/// <summary>
/// What the registry knows about content: repositories, which blobs each may read, manifests and
/// what they reference, tags, and upload sessions. Bytes live in <see cref="IBlobStorage"/>; a row
/// here is written only after the bytes it points at are durable.
/// </summary>
public interface IMetadataStore
{
    // --- Blobs and repository links ---

    /// <summary>The size of a blob that <paramref name="repository"/> may read, or null.</summary>
    Task<long?> GetLinkedBlobSizeAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken);

    /// <summary>The size of a blob the registry holds for any repository, or null.</summary>
    Task<long?> GetBlobSizeAsync(Digest digest, CancellationToken cancellationToken);

    /// <summary>Records a blob (if new) and links it into the repository (created if new). For content
    /// whose bytes are known to be in place (import, copy); uploads go through
    /// <see cref="TryClaimBlobAsync"/> and <see cref="CompleteUploadAsync"/>.</summary>
    Task LinkBlobAsync(RepositoryName repository, Digest digest, long size, CancellationToken cancellationToken);

    /// <summary>Removes the repository's link to a blob; the blob itself stays for others.</summary>
    Task<bool> UnlinkBlobAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken);

    /// <summary>Which of <paramref name="digests"/> the repository may not read.</summary>
    Task<IReadOnlyList<Digest>> FindUnlinkedBlobsAsync(RepositoryName repository, IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken);

    // --- Manifests and tags ---

    /// <summary>The manifest a tag or digest names in the repository, or null.</summary>
    Task<ManifestRecord?> GetManifestAsync(RepositoryName repository, Reference reference, CancellationToken cancellationToken);

    /// <summary>The manifests of the repository whose <c>subject</c> is <paramref name="subject"/>,
    /// optionally only those of one artifact type, ordered by digest.</summary>
    Task<IReadOnlyList<ManifestRecord>> ListReferrersAsync(RepositoryName repository, Digest subject, string? artifactType, CancellationToken cancellationToken);

    /// <summary>Which of <paramref name="digests"/> are not manifests of the repository.</summary>
    Task<IReadOnlyList<Digest>> FindMissingManifestsAsync(RepositoryName repository, IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken);

    /// <summary>Stores a manifest (idempotent), its references, and points every one of
    /// <paramref name="tags"/> at it, all in one transaction: either all of it is stored or none.
    /// Tags moved away from another manifest, and a manifest pushed without a tag, are queued for
    /// review. Inside the transaction, every one of <paramref name="requiredBlobs"/> must still be
    /// linked in the repository and every one of <paramref name="requiredManifests"/> still be a
    /// manifest of it, else <see cref="MissingContentException"/>; while garbage collection deletes
    /// the manifest's own bytes, <see cref="BlobBeingDeletedException"/>.</summary>
    Task PutManifestAsync(RepositoryName repository, ManifestRecord manifest, IReadOnlyCollection<(Digest Digest, ReferenceKind Kind)> references, IReadOnlyCollection<string> tags, CancellationToken cancellationToken,
        IReadOnlyCollection<Digest>? requiredBlobs = null, IReadOnlyCollection<Digest>? requiredManifests = null);

    /// <summary>Deletes a manifest and every tag pointing at it; false when it was not there.</summary>
    Task<bool> DeleteManifestAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken);

    /// <summary>Deletes one tag; the manifest stays. False when the tag was not there.</summary>
    Task<bool> DeleteTagAsync(RepositoryName repository, string tag, CancellationToken cancellationToken);

    /// <summary>Tags in lexical order after <paramref name="last"/>; null when the repository is unknown.</summary>
    Task<Page<string>?> ListTagsAsync(RepositoryName repository, int? limit, string? last, CancellationToken cancellationToken);

    /// <summary>Repository names in lexical order after <paramref name="last"/>.</summary>
    Task<Page<string>> ListRepositoriesAsync(int? limit, string? last, CancellationToken cancellationToken);

    /// <summary>Links a blob the registry already holds into the repository (cross-repository mount)
    /// and queues it for review; false when the blob is not held, or is being deleted.</summary>
    Task<bool> LinkExistingBlobAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken);

    // --- Upload sessions ---

    Task CreateUploadAsync(UploadSession session, CancellationToken cancellationToken);

    Task<UploadSession?> GetUploadAsync(UploadId id, CancellationToken cancellationToken);

    Task DeleteUploadAsync(UploadId id, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> upload sessions started before <paramref name="cutoff"/>, oldest first.</summary>
    Task<IReadOnlyList<UploadSession>> ListUploadsStartedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken);

    /// <summary>Claims <paramref name="digest"/> for the upload <paramref name="session"/> (whose row
    /// is created if it has none, as for a single-request upload) before its bytes are moved into
    /// place: garbage collection deletes nothing an upload claims. Queues the blob for review (a blob
    /// no manifest will reference is collected after the review delay). False while garbage
    /// collection is deleting the digest's bytes: retry shortly.</summary>
    Task<bool> TryClaimBlobAsync(UploadSession session, Digest digest, CancellationToken cancellationToken);

    /// <summary>Records the claimed blob, links it into the repository and ends the upload (its row
    /// and claim), in one transaction.</summary>
    Task CompleteUploadAsync(UploadId id, RepositoryName repository, Digest digest, long size, CancellationToken cancellationToken);

    // --- Garbage collection: the review queue (see Wharf.Gc.GarbageCollector) ---

    /// <summary>How long after the event that queued it a candidate is reviewed, and how long a
    /// repository link that nothing uses yet is kept (Gc:ReviewDelay).</summary>
    TimeSpan ReviewDelay { get; set; }

    /// <summary>Queues candidates for review at <paramref name="dueAt"/>; one already queued keeps the
    /// earlier of the two times (a sweep that runs again does not push back what it found before,
    /// and a full collection makes due now what it found unused).</summary>
    Task QueueReviewsAsync(IReadOnlyCollection<GcCandidate> candidates, DateTimeOffset dueAt, CancellationToken cancellationToken);

    /// <summary>Takes up to <paramref name="limit"/> due candidates for <paramref name="worker"/> for
    /// <paramref name="claimFor"/>: no other worker takes them meanwhile (with several replicas, each
    /// candidate goes to exactly one), and one that dies lets them go when the claim runs out.</summary>
    Task<IReadOnlyList<GcCandidate>> ClaimReviewsAsync(string worker, int limit, TimeSpan claimFor, CancellationToken cancellationToken);

    /// <summary>Re-checks a claimed blob candidate in one transaction and commits what follows:
    /// links that nothing in their repository uses and that are older than the review delay are
    /// removed; when nothing keeps the blob (no manifest references it or is it, no link, no upload
    /// claims it), its row is deleted and a deletion recorded. Also for digests whose bytes the
    /// metadata never knew (found by the sweep).</summary>
    Task<BlobReview> ReviewBlobAsync(string worker, Digest digest, CancellationToken cancellationToken);

    /// <summary>Re-checks a claimed manifest candidate: with <paramref name="deleteUntagged"/>, a
    /// manifest that no tag points at, that no kept index of its repository lists and whose subject
    /// is gone (if it has one) is deleted, and what it referenced is queued for review now. True
    /// when it was deleted.</summary>
    Task<bool> ReviewManifestAsync(string worker, RepositoryName repository, Digest digest, bool deleteUntagged, CancellationToken cancellationToken);

    /// <summary>Deletions recorded before <paramref name="startedBefore"/> and not finished (the
    /// process deleting the bytes died).</summary>
    Task<IReadOnlyList<PendingBlobDeletion>> ListBlobDeletionsAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken);

    /// <summary>The bytes are gone: forgets the deletion.</summary>
    Task FinishBlobDeletionAsync(Digest digest, CancellationToken cancellationToken);

    /// <summary>Which of <paramref name="digests"/> the metadata has no blob row for.</summary>
    Task<IReadOnlyList<Digest>> FindUnknownBlobsAsync(IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken);

    /// <summary>Everything a collection at <paramref name="now"/> would remove, found in one pass.</summary>
    Task<GarbagePlan> PlanCollectionAsync(DateTimeOffset now, bool deleteUntagged, CancellationToken cancellationToken);

    /// <summary>Stored bytes in total and per repository, and the size of the review queue.</summary>
    Task<StorageUsage> GetStorageUsageAsync(DateTimeOffset now, CancellationToken cancellationToken);

    // --- Integrity scrub ---

    /// <summary>Blobs in digest order after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<StoredBlob>> ListBlobsAsync(Digest? after, int limit, CancellationToken cancellationToken);

    /// <summary>Forgets a blob whose bytes are broken: its links and row go, and a deletion is
    /// recorded (the caller deletes the bytes, then finishes it), so the next push uploads it again.
    /// Manifests that reference it stay. False when the registry did not hold it.</summary>
    Task<bool> ForgetBrokenBlobAsync(Digest digest, CancellationToken cancellationToken);

    /// <summary>A small value that outlives processes (e.g. where the scrub stopped); null if unset.</summary>
    Task<string?> GetProgressAsync(string name, CancellationToken cancellationToken);

    Task SetProgressAsync(string name, string? value, CancellationToken cancellationToken);

    // --- Leases: background work done by one process of a cluster at a time ---

    /// <summary>Takes the lease <paramref name="name"/> for <paramref name="holder"/>, or renews it,
    /// for <paramref name="duration"/> from now; false while another holder's lease has not expired.
    /// A holder that dies simply stops renewing, and another takes over once the lease runs out.</summary>
    Task<bool> TryAcquireLeaseAsync(string name, string holder, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Gives the lease up early, if <paramref name="holder"/> has it.</summary>
    Task ReleaseLeaseAsync(string name, string holder, CancellationToken cancellationToken);

    // --- Secrets every replica must share ---

    /// <summary>The value stored under <paramref name="name"/>; when there is none yet,
    /// <paramref name="valueIfAbsent"/> is stored and returned. Of several processes racing, the
    /// first to commit wins and all get its value (e.g. the built-in token service's key).</summary>
    Task<string> GetOrAddSecretAsync(string name, string valueIfAbsent, CancellationToken cancellationToken);

    // --- Event outbox: notifications waiting to be delivered ---

    /// <summary>Appends events to the outbox, each addressed to one destination (a notification
    /// endpoint), due at once. A row stays until <see cref="CompleteEventsAsync"/> removes it, so
    /// neither a restart nor a long-unreachable destination loses it.</summary>
    Task EnqueueEventsAsync(IReadOnlyCollection<OutboxEntry> entries, CancellationToken cancellationToken);

    /// <summary>Claims up to <paramref name="limit"/> of the destination's events that are due, in
    /// the order they were enqueued, and hides them from every other claimer for
    /// <paramref name="claimFor"/>: of several processes claiming at once, each event goes to one.
    /// A claimer that dies simply lets the claim run out, and the events are due again.</summary>
    Task<IReadOnlyList<OutboxEvent>> ClaimEventsAsync(string destination, int limit, TimeSpan claimFor, CancellationToken cancellationToken);

    /// <summary>Removes delivered events.</summary>
    Task CompleteEventsAsync(IReadOnlyCollection<long> sequences, CancellationToken cancellationToken);

    /// <summary>Makes claimed events due again after <paramref name="delay"/> (a failed delivery).</summary>
    Task RetryEventsAsync(IReadOnlyCollection<long> sequences, TimeSpan delay, CancellationToken cancellationToken);

    // --- Manifest use: what a pull-through cache's expiry (Proxy:MaxAge) goes by ---

    /// <summary>Records when manifests were pulled, as a batch: each keeps the later of the time
    /// given and the one it had. A pull of an index counts for the child manifests it lists in the
    /// repository too: a client that holds an image may ask for its index alone (containerd does).
    /// A pull of a manifest the store no longer has is ignored.</summary>
    Task RecordManifestPullsAsync(IReadOnlyCollection<ManifestPull> pulls, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> manifests of the repositories under
    /// <paramref name="prefix"/> (names that start with it and a <c>/</c>; every repository when it
    /// is empty) last used before <paramref name="cutoff"/>, where used means pulled (as recorded)
    /// or stored, whichever is later; ordered by repository name, then digest, and starting after
    /// <paramref name="after"/>.</summary>
    Task<IReadOnlyList<ManifestKey>> ListManifestsUnusedSinceAsync(string prefix, DateTimeOffset cutoff, ManifestKey? after, int limit, CancellationToken cancellationToken);

    // --- Listings for the web UI ---

    /// <summary>Names of the repositories whose name contains <paramref name="contains"/> (lower
    /// case; every one when empty), in lexical order after <paramref name="last"/>, up to
    /// <paramref name="limit"/>.</summary>
    Task<Page<string>> ListRepositoriesContainingAsync(string contains, int limit, string? last, CancellationToken cancellationToken);

    /// <summary>Tag count, size and last push of each of the repositories named, in lexical order;
    /// names the store does not know are left out.</summary>
    Task<IReadOnlyList<RepositorySummary>> GetRepositorySummariesAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken);

    /// <summary>The repository's tags whose name contains <paramref name="contains"/> (ignoring
    /// ASCII case; every one when empty), in <paramref name="order"/> after the tag
    /// <paramref name="last"/>, up to <paramref name="limit"/>; null when the repository is unknown.
    /// In date order a <paramref name="last"/> that is no longer a tag ends the listing.</summary>
    Task<Page<TagSummary>?> ListTagSummariesAsync(RepositoryName repository, string contains, TagOrder order, int limit, string? last, CancellationToken cancellationToken);

    /// <summary>The names of the repository's tags that point at <paramref name="digest"/>, in
    /// lexical order, up to <paramref name="limit"/>; none when the manifest is not there.</summary>
    Task<IReadOnlyList<string>> ListTagsOfManifestAsync(RepositoryName repository, Digest digest, int limit, CancellationToken cancellationToken);

    // --- Accounting ---

    /// <summary>How many repositories, blobs, links, manifests and tags the store holds.</summary>
    Task<MetadataCounts> CountAsync(CancellationToken cancellationToken);
}

/// <summary>Row counts of a metadata store: what a copy is checked with, and what an operator sees.</summary>
public sealed record MetadataCounts(long Repositories, long Blobs, long BlobLinks, long Manifests, long Tags, long BlobBytes);

/// <summary>A manifest as the metadata store knows it.</summary>
public sealed record ManifestRecord(Digest Digest, string MediaType, long Size)
{
    public Digest? Subject { get; init; }
    public string? ArtifactType { get; init; }
    public string? AnnotationsJson { get; init; }

    /// <summary>The manifest's bytes, exactly as pushed, when the store keeps them with its row
    /// (small manifests: a pull is then one query and no file). Null when they are only in blob
    /// storage. Given to <see cref="IMetadataStore.PutManifestAsync"/>, they are kept if at most
    /// <see cref="MaxPayloadBytes"/>. Blob storage holds every manifest all the same, so that the
    /// data directory stays distribution's.</summary>
    public byte[]? Payload { get; init; }

    /// <summary>The largest manifest kept with its row. Nearly every manifest is a few KiB at
    /// most; a large index or a manifest with many annotations stays in blob storage only.</summary>
    public const int MaxPayloadBytes = 16 * 1024;

    /// <summary>What the store keeps of <see cref="Payload"/>: the bytes when small enough.</summary>
    public byte[]? StoredPayload => Payload is { Length: <= MaxPayloadBytes } payload ? payload : null;
}

/// <summary>A manifest of a repository.</summary>
public sealed record ManifestKey(RepositoryName Repository, Digest Digest);

/// <summary>A manifest of a repository, pulled at <see cref="At"/>.</summary>
public sealed record ManifestPull(RepositoryName Repository, Digest Digest, DateTimeOffset At);

/// <summary>An upload in progress; its bytes so far are at <see cref="StoragePaths.UploadData"/>.</summary>
public sealed record UploadSession(UploadId Id, RepositoryName Repository, DateTimeOffset StartedAt);

/// <summary>An event to put in the outbox: its serialized body, for one destination.</summary>
public sealed record OutboxEntry(string Destination, string Payload);

/// <summary>An event taken from the outbox: <see cref="Sequence"/> orders and names it in the
/// store; <see cref="Attempts"/> counts its claims so far, this one included.</summary>
public sealed record OutboxEvent(long Sequence, string Destination, string Payload, int Attempts);

/// <summary>One page of a sorted listing, and whether more follows it.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, bool HasMore);
