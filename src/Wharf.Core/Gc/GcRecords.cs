using Wharf.Distribution;

namespace Wharf.Gc;

/// <summary>What a review looks at: a blob (everywhere it is stored and linked), or a manifest of
/// one repository.</summary>
public enum GcCandidateKind
{
    Blob = 1,
    Manifest = 2,
}

/// <summary>One entry of the review queue. <see cref="Repository"/> is set for manifests only.</summary>
public sealed record GcCandidate(GcCandidateKind Kind, Digest Digest, RepositoryName? Repository = null)
{
    public static GcCandidate Blob(Digest digest) => new(GcCandidateKind.Blob, digest);

    public static GcCandidate Manifest(RepositoryName repository, Digest digest) => new(GcCandidateKind.Manifest, digest, repository);
}

/// <summary>What reviewing a blob decided, already committed to the metadata store. When
/// <see cref="Deleted"/>, the blob's row is gone and a deletion is recorded: its bytes must be
/// deleted next, then the deletion finished (<c>FinishBlobDeletionAsync</c>).</summary>
/// <param name="Size">The blob's size when its row was deleted; null for bytes the metadata never knew.</param>
/// <param name="UnlinkedFrom">Repositories whose link to the blob was removed (nothing there used it).</param>
public sealed record BlobReview(bool Deleted, long? Size, IReadOnlyList<RepositoryName> UnlinkedFrom)
{
    public static readonly BlobReview Kept = new(false, null, []);
}

/// <summary>A deletion whose row is committed but whose bytes may not be gone yet.</summary>
public sealed record PendingBlobDeletion(Digest Digest, DateTimeOffset StartedAt);

/// <summary>What a full collection would remove now, found in one pass over the metadata: the
/// manifests no tag keeps (only with untagged collection on), the repository links nothing in their
/// repository uses, and the blobs nothing keeps at all.</summary>
public sealed record GarbagePlan(
    IReadOnlyList<(RepositoryName Repository, Digest Digest)> Manifests,
    IReadOnlyList<(RepositoryName Repository, Digest Digest)> Links,
    IReadOnlyList<(Digest Digest, long Size)> Blobs,
    IReadOnlyList<Digest> Waiting)
{
    public long Bytes => Blobs.Sum(b => b.Size);
}

/// <summary>Stored bytes, as the metadata knows them: each blob counted once.</summary>
public sealed record StorageUsage(long Blobs, long Bytes, IReadOnlyList<RepositoryUsage> Repositories, long QueuedReviews, long DueReviews);

/// <summary>One repository's share: what it holds (each blob once), and what it alone holds (what
/// deleting the repository would free).</summary>
public sealed record RepositoryUsage(RepositoryName Repository, long Blobs, long Bytes, long ExclusiveBytes);

/// <summary>A blob as stored, for the integrity scrub.</summary>
public sealed record StoredBlob(Digest Digest, long Size);

/// <summary>A manifest push could not be recorded: one of its <paramref name="Digest"/> is not (or
/// no longer) in the repository, e.g. garbage collection took it between the check and the commit.</summary>
public sealed class MissingContentException(Digest digest, bool isManifest)
    : Exception($"{(isManifest ? "manifest" : "blob")} {digest} is not in the repository")
{
    public Digest Digest { get; } = digest;
    public bool IsManifest { get; } = isManifest;
}

/// <summary>The bytes of <paramref name="Digest"/> are being deleted by garbage collection right now;
/// the caller writes them again once the deletion is finished, then retries.</summary>
public sealed class BlobBeingDeletedException(Digest digest)
    : Exception($"blob {digest} is being deleted by garbage collection")
{
    public Digest Digest { get; } = digest;
}
