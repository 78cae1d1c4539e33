using Wharf.Distribution;
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

    /// <summary>Records a blob (if new) and links it into the repository (created if new).</summary>
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
    /// <paramref name="tags"/> at it, all in one transaction: either all of it is stored or none.</summary>
    Task PutManifestAsync(RepositoryName repository, ManifestRecord manifest, IReadOnlyCollection<(Digest Digest, ReferenceKind Kind)> references, IReadOnlyCollection<string> tags, CancellationToken cancellationToken);

    /// <summary>Deletes a manifest and every tag pointing at it; false when it was not there.</summary>
    Task<bool> DeleteManifestAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken);

    /// <summary>Deletes one tag; the manifest stays. False when the tag was not there.</summary>
    Task<bool> DeleteTagAsync(RepositoryName repository, string tag, CancellationToken cancellationToken);

    /// <summary>Tags in lexical order after <paramref name="last"/>; null when the repository is unknown.</summary>
    Task<Page<string>?> ListTagsAsync(RepositoryName repository, int? limit, string? last, CancellationToken cancellationToken);

    /// <summary>Repository names in lexical order after <paramref name="last"/>.</summary>
    Task<Page<string>> ListRepositoriesAsync(int? limit, string? last, CancellationToken cancellationToken);

    // --- Upload sessions ---

    Task CreateUploadAsync(UploadSession session, CancellationToken cancellationToken);

    Task<UploadSession?> GetUploadAsync(UploadId id, CancellationToken cancellationToken);

    Task DeleteUploadAsync(UploadId id, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> upload sessions started before <paramref name="cutoff"/>, oldest first.</summary>
    Task<IReadOnlyList<UploadSession>> ListUploadsStartedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken);

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

    // --- Accounting ---

    /// <summary>How many repositories, blobs, links, manifests and tags the store holds.</summary>
    Task<MetadataCounts> CountAsync(CancellationToken cancellationToken);
}

/// <summary>Row counts of a metadata store: what a copy is checked with, and what an operator sees.</summary>
public sealed record MetadataCounts(long Repositories, long Blobs, long BlobLinks, long Manifests, long Tags);

/// <summary>A manifest as the metadata store knows it.</summary>
public sealed record ManifestRecord(Digest Digest, string MediaType, long Size)
{
    public Digest? Subject { get; init; }
    public string? ArtifactType { get; init; }
    public string? AnnotationsJson { get; init; }
}

/// <summary>An upload in progress; its bytes so far are at <see cref="StoragePaths.UploadData"/>.</summary>
public sealed record UploadSession(UploadId Id, RepositoryName Repository, DateTimeOffset StartedAt);

/// <summary>One page of a sorted listing, and whether more follows it.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, bool HasMore);
