using System.Security.Cryptography;
using Wharf.Distribution;
using Wharf.Events;
using Wharf.Gc;
using Wharf.Manifests;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Registry;

/// <summary>A stored manifest as served: its record and its unchanged bytes, in memory when small
/// (<see cref="Bytes"/>), otherwise where storage keeps them.</summary>
public sealed record ManifestContent(ManifestRecord Record, byte[]? Bytes, string? LocalFile, Func<CancellationToken, Task<Stream?>> OpenAsync);

/// <summary>The outcome of a manifest PUT: the manifest's digest, its subject, and the tags that
/// now point at it.</summary>
public sealed record PutManifestResult(Digest Digest, Digest? Subject, IReadOnlyList<string> Tags);

/// <summary>Manifest push, pull and delete. Manifests are stored byte for byte as blobs; the
/// metadata store indexes them, their references and their tags.</summary>
public sealed class ManifestService(IBlobStorage storage, IMetadataStore metadata, RegistryPolicy policy, ManifestCache cache, IReplicaChanges changes, IRegistryEvents? events = null)
{
    private readonly IRegistryEvents _events = events ?? NoRegistryEvents.Instance;

    public async Task<ManifestContent> GetAsync(RepositoryName repository, Reference reference, CancellationToken cancellationToken)
    {
        var path = "";
        // What a tag names is cached while this process is current (see IReplicaChanges): every
        // change, here or on another replica, drops the repository's entries before it is answered.
        if (cache.TryGet(repository, reference, out var cached, out var cachedBytes))
        {
            path = StoragePaths.Blob(cached.Digest);
            return new ManifestContent(cached, cachedBytes, null, ct => storage.OpenReadAsync(path, 0, ct));
        }
        var generation = cache.Generation;
        var record = await metadata.GetManifestAsync(repository, reference, cancellationToken)
            ?? throw new RegistryException(ErrorCode.ManifestUnknown, $"manifest {reference} is not in repository {repository}");
        path = StoragePaths.Blob(record.Digest);
        // Kept with the row by the store: the answer is already here, no file to read (and no
        // entry by digest, which only spares file reads).
        var bytes = record.Payload;
        if (bytes is null && !cache.TryGetBytes(record.Digest, out bytes))
        {
            bytes = record.Size <= ManifestCache.MaxCachedBytes ? await ReadStoredAsync(record.Digest, record.Size, cancellationToken) : null;
            if (bytes is not null)
            {
                cache.AddBytes(record.Digest, bytes);
            }
        }
        if (bytes is not null)
        {
            cache.Add(repository, reference, record, bytes, generation);
            return new ManifestContent(record, bytes, null, ct => storage.OpenReadAsync(path, 0, ct));
        }
        // As for blobs: opening the bytes reports them missing, no stat first.
        var localFile = storage.TryGetLocalFile(path);
        return new ManifestContent(record, null, localFile, ct => storage.OpenReadAsync(path, 0, ct));
    }

    private async Task<byte[]> ReadStoredAsync(Digest digest, long size, CancellationToken cancellationToken)
    {
        await using var stream = await storage.OpenReadAsync(StoragePaths.Blob(digest), 0, cancellationToken) ?? throw MissingBytes(digest);
        var bytes = new byte[size];
        await stream.ReadExactlyAsync(bytes, cancellationToken);
        return bytes;
    }

    private static RegistryException MissingBytes(Digest digest) =>
        new(ErrorCode.ManifestUnknown, $"the bytes of manifest {digest} are missing from storage");

    /// <summary>The most <c>tag</c> parameters one PUT may carry; the spec asks for at least 10.</summary>
    public const int MaxTagsPerPush = 100;

    /// <param name="tagParameters">The request's <c>?tag=</c> values (OCI distribution: push by
    /// digest and tag in one request); every one is validated before anything is stored.</param>
    public async Task<PutManifestResult> PutAsync(RepositoryName repository, Reference reference, IReadOnlyCollection<string?> tagParameters, Stream body, long? contentLength, string? contentType, CancellationToken cancellationToken)
    {
        var tags = TagsToSet(reference, tagParameters);
        if (contentLength > ManifestParser.MaxManifestBytes)
        {
            throw ManifestParser.TooLarge();
        }
        var bytes = await ManifestParser.ReadBoundedAsync(body, cancellationToken);

        var digest = DigestOf(bytes, reference.Digest?.Algorithm ?? Digest.Sha256);
        if (reference.Digest is { } claimed && claimed != digest)
        {
            throw new RegistryException(ErrorCode.DigestInvalid, $"the manifest's digest is {digest}, not {claimed}");
        }

        var manifest = ManifestParser.Parse(bytes, contentType);
        var (requiredBlobs, requiredManifests) = await EnsureReferencesExistAsync(repository, manifest, cancellationToken);

        var record = await StoreAsync(repository, digest, bytes, manifest, tags, requiredBlobs, requiredManifests, cancellationToken);
        // Distribution names the tag of a push by tag; a push that sets several (OCI's ?tag=) is
        // one event per tag, and a push by digest alone one event without a tag. They are recorded
        // together, so a sink writes once per push however many tags it sets.
        await _events.RecordAsync([.. (tags.Count == 0 ? [null] : tags.Cast<string?>())
            .Select(tag => new RegistryEvent(EventActions.Push, EventTargetKind.Manifest, repository, digest, record.MediaType, record.Size, tag))]);
        return new PutManifestResult(digest, record.Subject, tags);
    }

    /// <summary>Stores a manifest fetched from another registry (a pull-through cache) under
    /// <paramref name="tag"/>, if given. Its bytes are checked against <paramref name="expected"/>
    /// (a digest pull, or the upstream's Docker-Content-Digest) and parsed like a push; what it
    /// references is not required to be here, since a cache fetches blobs and children only when
    /// they are pulled.</summary>
    public async Task<ManifestRecord> StoreFetchedAsync(RepositoryName repository, byte[] bytes, string? contentType, Digest? expected, string? tag, CancellationToken cancellationToken)
    {
        var digest = DigestOf(bytes, expected?.Algorithm ?? Digest.Sha256);
        if (expected is { } claimed && claimed != digest)
        {
            throw new RegistryException(ErrorCode.ManifestUnknown, $"the upstream sent a manifest whose digest is {digest}, not {claimed}; nothing was cached");
        }
        var manifest = ManifestParser.Parse(bytes, contentType);
        return await StoreAsync(repository, digest, bytes, manifest, tag is null ? [] : [tag], [], [], cancellationToken);
    }

    private static Digest DigestOf(byte[] bytes, string algorithm) =>
        Digest.FromHash(algorithm, algorithm == Digest.Sha256 ? SHA256.HashData(bytes) : SHA512.HashData(bytes));

    /// <summary>Writes the manifest's bytes, then the metadata that makes them visible, and tells
    /// the caches and the other replicas.</summary>
    private async Task<ManifestRecord> StoreAsync(RepositoryName repository, Digest digest, byte[] bytes, ParsedManifest manifest, IReadOnlyCollection<string> tags,
        IReadOnlyCollection<Digest> requiredBlobs, IReadOnlyCollection<Digest> requiredManifests, CancellationToken cancellationToken)
    {
        var path = StoragePaths.Blob(digest);
        if (await storage.GetSizeAsync(path, cancellationToken) is null)
        {
            await WriteBlobAsync(repository, path, bytes);
        }
        var record = new ManifestRecord(digest, manifest.MediaType, bytes.Length)
        {
            Subject = manifest.Subject?.Digest,
            ArtifactType = manifest.ArtifactType,
            AnnotationsJson = manifest.AnnotationsJson,
            // Kept with the row when small: a pull that misses the cache then reads no file.
            Payload = bytes,
        };
        var references = manifest.References().ToList();
        var started = Environment.TickCount64;
        while (true)
        {
            try
            {
                await metadata.PutManifestAsync(repository, record, references, tags, CancellationToken.None, requiredBlobs, requiredManifests);
                break;
            }
            catch (MissingContentException e)
            {
                // Garbage collection took it after the check above: the client uploads it again. The
                // manifest's bytes, written above, are reviewed like any upload nothing references.
                await metadata.QueueReviewsAsync([GcCandidate.Blob(digest)], DateTimeOffset.UtcNow + metadata.ReviewDelay, CancellationToken.None);
                throw new RegistryException(ErrorCode.ManifestBlobUnknown, $"{(e.IsManifest ? "manifest" : "blob")} {e.Digest} is not in repository {repository}");
            }
            catch (BlobBeingDeletedException) when (Environment.TickCount64 - started < (long)(GcRules.StaleDeletion * 2).TotalMilliseconds)
            {
                // Garbage collection is deleting these very bytes (an earlier copy nothing used):
                // once it is done, they are written again, and recorded.
                // (One left by a dead process stops counting after GcRules.StaleDeletion.)
                while ((await metadata.ListBlobDeletionsAsync(DateTimeOffset.MaxValue, CancellationToken.None))
                    .Any(d => d.Digest == digest && DateTimeOffset.UtcNow - d.StartedAt < GcRules.StaleDeletion))
                {
                    await Task.Delay(25, CancellationToken.None);
                }
                await WriteBlobAsync(repository, path, bytes);
            }
        }
        cache.Invalidate(repository);
        await changes.PublishAsync(new RepositoryChange(repository), CancellationToken.None);
        return record;
    }

    // The tag in the path (if any) and every tag parameter, each once, in the order given.
    private static List<string> TagsToSet(Reference reference, IReadOnlyCollection<string?> tagParameters)
    {
        if (tagParameters.Count > MaxTagsPerPush)
        {
            // Distribution spec, "Pushing Manifests": a registry MAY answer 414 to too many tags.
            throw new RegistryException(ErrorCode.TagInvalid, $"a push may set at most {MaxTagsPerPush} tags; this one has {tagParameters.Count}", status: 414);
        }
        var tags = new List<string>(tagParameters.Count + 1);
        if (reference.TagName is { } pathTag)
        {
            tags.Add(pathTag);
        }
        foreach (var parameter in tagParameters)
        {
            var tag = Tag.Validate(parameter);
            if (!tags.Contains(tag, StringComparer.Ordinal))
            {
                tags.Add(tag);
            }
        }
        return tags;
    }

    /// <summary>The manifests that name <paramref name="subject"/> as their subject (OCI referrers API).
    /// An unknown subject or repository has none; that is not an error.</summary>
    public Task<IReadOnlyList<ManifestRecord>> ListReferrersAsync(RepositoryName repository, Digest subject, string? artifactType, CancellationToken cancellationToken) =>
        metadata.ListReferrersAsync(repository, subject, artifactType, cancellationToken);

    /// <summary>By digest: the manifest and every tag that points at it. By tag: that tag only.</summary>
    public async Task DeleteAsync(RepositoryName repository, Reference reference, CancellationToken cancellationToken)
    {
        BlobService.EnsureDeleteEnabled(policy);
        var deleted = reference.Digest is { } digest
            ? await metadata.DeleteManifestAsync(repository, digest, cancellationToken)
            : await metadata.DeleteTagAsync(repository, reference.TagName!, cancellationToken);
        cache.Invalidate(repository);
        if (!deleted)
        {
            throw new RegistryException(ErrorCode.ManifestUnknown, $"manifest {reference} is not in repository {repository}");
        }
        await changes.PublishAsync(new RepositoryChange(repository), CancellationToken.None);
        // Distribution's two deletes: a manifest by digest, or a tag by name (the manifest stays).
        await _events.RecordAsync(reference.Digest is not null
            ? new RegistryEvent(EventActions.Delete, EventTargetKind.Manifest, repository, reference.Digest)
            : new RegistryEvent(EventActions.Delete, EventTargetKind.Tag, repository, null, Tag: reference.TagName));
    }

    /// <summary>Evicts a manifest from a pull-through cache that nobody pulled for long enough:
    /// as a delete by digest (its tags go with it, what it held is left to garbage collection), but
    /// whatever the deletion policy says, since the upstream still has it. Records no event, as
    /// fetching it recorded none. False when it was not there (any more).</summary>
    public async Task<bool> ExpireAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken)
    {
        var deleted = await metadata.DeleteManifestAsync(repository, digest, cancellationToken);
        if (deleted)
        {
            cache.Invalidate(repository);
            await changes.PublishAsync(new RepositoryChange(repository), CancellationToken.None);
        }
        return deleted;
    }

    /// <summary>Checks that what the manifest needs is in the repository, and returns it, for the
    /// store to check again when it records the manifest.</summary>
    private async Task<(List<Digest> Blobs, List<Digest> Manifests)> EnsureReferencesExistAsync(RepositoryName repository, ParsedManifest manifest, CancellationToken cancellationToken)
    {
        // A sparse image (layers left out by a mirror) is accepted when the operator allows it; its
        // config never is: without it the image cannot even be inspected.
        var required = policy.RequireBlobs ? manifest.RequiredBlobs : manifest.RequiredBlobs.Where(d => ReferenceEquals(d, manifest.Config));
        var blobs = required.Select(d => d.Digest).ToList();
        if (blobs.Count > 0)
        {
            var missing = await metadata.FindUnlinkedBlobsAsync(repository, blobs, cancellationToken);
            if (missing.Count > 0)
            {
                throw new RegistryException(ErrorCode.ManifestBlobUnknown, $"blob {missing[0]} is not in repository {repository}" + More(missing.Count));
            }
        }
        var children = new List<Digest>();
        if (policy.RequireIndexChildren && manifest.Manifests.Count > 0)
        {
            children = manifest.Manifests.Select(d => d.Digest).Distinct().ToList();
            var missing = await metadata.FindMissingManifestsAsync(repository, children, cancellationToken);
            if (missing.Count > 0)
            {
                throw new RegistryException(ErrorCode.ManifestBlobUnknown, $"manifest {missing[0]} is not in repository {repository}" + More(missing.Count));
            }
        }
        return (blobs.Distinct().ToList(), children);
    }

    private static string More(int count) => count > 1 ? $" (and {count - 1} more missing)" : "";

    private async Task WriteBlobAsync(RepositoryName repository, string path, byte[] bytes)
    {
        var id = UploadId.New();
        var staged = StoragePaths.UploadData(repository, id);
        try
        {
            await using (var writer = await storage.OpenAppendWriterAsync(staged, CancellationToken.None))
            {
                await writer.WriteAsync(bytes, CancellationToken.None);
                await writer.CommitAsync(CancellationToken.None);
            }
            await storage.MoveAsync(staged, path, CancellationToken.None);
        }
        finally
        {
            await storage.DeleteAsync(StoragePaths.UploadDirectory(repository, id), CancellationToken.None);
        }
    }

}
