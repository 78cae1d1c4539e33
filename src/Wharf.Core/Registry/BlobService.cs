using Wharf.Distribution;
using Wharf.Events;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Registry;

/// <summary>A blob as the HTTP layer serves it: a URL to redirect the client to when the storage
/// offers one, else a local file for zero-copy sends when the storage has one, otherwise a stream to open.</summary>
public sealed record BlobContent(Digest Digest, long Size, string? LocalFile, Func<CancellationToken, Task<Stream?>> OpenAsync, Uri? RedirectUrl = null);

/// <summary>Blob reads, deletes and cross-repository mounts.</summary>
public sealed class BlobService(IBlobStorage storage, IMetadataStore metadata, RegistryPolicy policy, BlobLinkCache links, IReplicaChanges changes, IRegistryEvents? events = null)
{
    private readonly IRegistryEvents _events = events ?? NoRegistryEvents.Instance;

    /// <summary>The size of a blob <paramref name="repository"/> may read (what a HEAD answers). The
    /// metadata is written only once the bytes are durable, so it alone says the blob is there.</summary>
    public async Task<long> GetSizeAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken)
    {
        if (links.TryGet(repository, digest, out var cached))
        {
            return cached;
        }
        var generation = links.Generation;
        var size = await metadata.GetLinkedBlobSizeAsync(repository, digest, cancellationToken)
            ?? throw new RegistryException(ErrorCode.BlobUnknown, $"blob {digest} is not in repository {repository}");
        links.Add(repository, digest, size, generation);
        return size;
    }

    /// <summary>The blob if <paramref name="repository"/> may read it. Its bytes are not looked for
    /// here: the metadata is written only once they are durable, and opening them (or the local file)
    /// reports them missing as BLOB_UNKNOWN. A stat first would cost every pull from object storage a
    /// second request.</summary>
    public async Task<BlobContent> GetAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken)
    {
        var size = await GetSizeAsync(repository, digest, cancellationToken);
        var path = StoragePaths.Blob(digest);
        var localFile = storage.TryGetLocalFile(path);
        var redirect = localFile is null ? await storage.GetRedirectUrlAsync(path, cancellationToken) : null;
        return new BlobContent(digest, size, localFile, ct => storage.OpenReadAsync(path, 0, ct), redirect);
    }

    /// <summary>Removes the repository's link to the blob. The bytes stay: other repositories may
    /// link them, and garbage collection reclaims what nothing links.</summary>
    public async Task DeleteAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken)
    {
        EnsureDeleteEnabled(policy);
        var unlinked = await metadata.UnlinkBlobAsync(repository, digest, cancellationToken);
        links.Remove(repository, digest);
        if (!unlinked)
        {
            throw new RegistryException(ErrorCode.BlobUnknown, $"blob {digest} is not in repository {repository}");
        }
        await changes.PublishAsync(new RepositoryChange(repository, digest), CancellationToken.None);
        await _events.RecordAsync(new RegistryEvent(EventActions.Delete, EventTargetKind.Blob, repository, digest));
    }

    /// <summary>Links a blob that <paramref name="from"/> holds into <paramref name="repository"/>
    /// without moving a byte. Returns the size, or null when <paramref name="from"/> cannot supply it.
    /// Without <paramref name="from"/> (the spec's automatic mount) any copy the registry holds will
    /// do: every repository is readable by every caller until access control says otherwise.</summary>
    public async Task<long?> TryMountAsync(RepositoryName repository, Digest digest, RepositoryName? from, CancellationToken cancellationToken)
    {
        var size = from is null
            ? await metadata.GetBlobSizeAsync(digest, cancellationToken)
            : await metadata.GetLinkedBlobSizeAsync(from, digest, cancellationToken);
        if (size is null || await storage.GetSizeAsync(StoragePaths.Blob(digest), cancellationToken) is null)
        {
            return null;
        }
        // Linked only if the registry still holds it: garbage collection may have taken it since.
        if (!await metadata.LinkExistingBlobAsync(repository, digest, CancellationToken.None))
        {
            return null;
        }
        await _events.RecordAsync(new RegistryEvent(EventActions.Mount, EventTargetKind.Blob, repository, digest, MediaTypes.OctetStream, size) { FromRepository = from });
        return size;
    }

    internal static void EnsureDeleteEnabled(RegistryPolicy policy)
    {
        if (!policy.DeleteEnabled)
        {
            throw new RegistryException(ErrorCode.Unsupported, "deletion is disabled on this registry (Storage:Delete:Enabled)");
        }
    }
}
