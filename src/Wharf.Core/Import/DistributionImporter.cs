using System.Diagnostics;
using System.Security.Cryptography;
using Wharf.Distribution;
using Wharf.Manifests;
using Wharf.Metadata;
using Wharf.Registry;
using Wharf.Storage;

namespace Wharf.Import;

/// <summary>
/// Adopts a CNCF distribution (<c>registry:2</c>) data directory: its repositories, blob links,
/// manifests and tags go into Wharf's metadata store. Blob paths are the same in both, so when
/// the target storage is the source storage (an import in place) not one byte is copied;
/// otherwise each blob is copied across, and verified on the way.
/// <para>
/// Safe to stop and run again: repositories are done one at a time, and within one, blob links
/// before manifests, child manifests before the index that lists them, manifests before tags.
/// Every write is a transaction of its own that leaves Wharf consistent, and each item already in
/// the metadata store is skipped, so a second run writes nothing and says so. It never changes
/// what Wharf already has: a tag that Wharf points elsewhere (pushed since) is left as it is.
/// </para>
/// </summary>
public sealed class DistributionImporter
{
    private readonly IBlobStorage _source;
    private readonly IBlobStorage _target;
    private readonly IMetadataStore _metadata;
    private readonly DistributionLayout _layout;

    /// <param name="source">The storage holding distribution's <c>docker/registry/v2</c> tree.</param>
    /// <param name="metadata">Wharf's metadata store to import into.</param>
    /// <param name="target">Wharf's blob storage, when it is not <paramref name="source"/>:
    /// blobs are then copied into it.</param>
    public DistributionImporter(IBlobStorage source, IMetadataStore metadata, IBlobStorage? target = null)
    {
        _source = source;
        _target = target ?? source;
        _metadata = metadata;
        _layout = new DistributionLayout(source);
    }

    public bool InPlace => ReferenceEquals(_source, _target);

    /// <exception cref="NotADistributionLayoutException">The source holds no distribution data.</exception>
    /// <exception cref="OperationCanceledException">Stopped; what was written stays, and a new
    /// run completes the rest.</exception>
    public async Task<ImportReport> ImportAsync(IImportProgress? progress = null, CancellationToken cancellationToken = default)
    {
        progress ??= NoImportProgress.Instance;
        var clock = Stopwatch.StartNew();
        if (!await _layout.IsPresentAsync(cancellationToken))
        {
            throw new NotADistributionLayoutException(
                $"no {StoragePaths.Root}/repositories or {StoragePaths.Root}/blobs: this is not a registry:2 data directory");
        }
        var report = new ImportReport(InPlace);
        var repositories = await _layout.FindRepositoriesAsync(warning =>
        {
            report.AddWarning(warning);
            progress.Warning(warning);
        }, cancellationToken);
        progress.RepositoriesFound(repositories.Count);
        for (var i = 0; i < repositories.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await ImportRepositoryAsync(repositories[i], progress, cancellationToken);
            report.Add(result);
            progress.RepositoryFinished(i + 1, repositories.Count, result);
        }
        report.Elapsed = clock.Elapsed;
        return report;
    }

    private async Task<RepositoryImportResult> ImportRepositoryAsync(RepositoryName repository, IImportProgress progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var result = new RepositoryImportResult(repository);
        void Warn(ImportWarning warning)
        {
            result.Warnings.Add(warning);
            progress.Warning(warning);
        }
        void Warning(ImportWarningKind kind, string message) => Warn(new ImportWarning(kind, repository.Value, message));

        await ImportBlobLinksAsync(repository, result, progress, Warn, Warning, cancellationToken);
        var manifests = new RepositoryManifests(repository, result, Warning);
        await ImportManifestsAsync(manifests, progress, Warn, cancellationToken);
        await ImportTagsAsync(manifests, progress, Warn, cancellationToken);
        result.Elapsed = clock.Elapsed;
        return result;
    }

    // Every blob the repository could read in distribution it can read in Wharf, referenced by a
    // manifest or not (a blob pushed ahead of its manifest, or mounted, is readable there too).
    private async Task ImportBlobLinksAsync(RepositoryName repository, RepositoryImportResult result, IImportProgress progress,
        Action<ImportWarning> warn, Action<ImportWarningKind, string> warning, CancellationToken cancellationToken)
    {
        foreach (var digest in await _layout.ReadLayerLinksAsync(repository, warn, cancellationToken))
        {
            var size = await _source.GetSizeAsync(StoragePaths.Blob(digest), cancellationToken);
            if (size is null)
            {
                warning(ImportWarningKind.DanglingBlobLink, $"_layers links blob {digest}, whose data is missing; not linked");
                result.BlobsSkipped++;
                continue;
            }
            result.HeldBlobs[digest] = size.Value;
        }
        var toLink = await _metadata.FindUnlinkedBlobsAsync(repository, result.HeldBlobs.Keys.ToList(), cancellationToken);
        result.BlobsAlready = result.HeldBlobs.Count - toLink.Count;
        var done = 0;
        foreach (var digest in toLink)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var size = result.HeldBlobs[digest];
            if (await EnsureBlobInTargetAsync(repository, digest, size, result, warning, cancellationToken))
            {
                await _metadata.LinkBlobAsync(repository, digest, size, cancellationToken);
                result.BlobsLinked++;
            }
            else
            {
                result.HeldBlobs.Remove(digest);
                result.BlobsSkipped++;
            }
            progress.Working(repository, "blobs", ++done, toLink.Count);
        }
    }

    private async Task ImportManifestsAsync(RepositoryManifests manifests, IImportProgress progress, Action<ImportWarning> warn, CancellationToken cancellationToken)
    {
        var repository = manifests.Repository;
        var result = manifests.Result;
        var revisions = await _layout.ReadRevisionLinksAsync(repository, warn, cancellationToken);
        manifests.Revisions.UnionWith(revisions);
        var missing = await _metadata.FindMissingManifestsAsync(repository, revisions, cancellationToken);
        manifests.InWharf.UnionWith(revisions.Except(missing));
        result.ManifestsAlready = manifests.InWharf.Count;

        // Read and check everything first: an index may only be written once its children are.
        var done = 0;
        foreach (var digest in missing)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await LoadAsync(manifests, digest, cancellationToken);
            progress.Working(repository, "manifests read", ++done, missing.Count);
        }
        done = 0;
        foreach (var manifest in ChildrenFirst(manifests.Loaded))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await WarnAboutMissingReferencesAsync(manifests, manifest, cancellationToken);
            await PutAsync(manifests, manifest, tag: null, cancellationToken);
            manifests.InWharf.Add(manifest.Record.Digest);
            result.ManifestsImported++;
            progress.Working(repository, "manifests", ++done, manifests.Loaded.Count);
        }
        result.ManifestsSkipped = revisions.Count - result.ManifestsAlready - result.ManifestsImported;
    }

    private async Task ImportTagsAsync(RepositoryManifests manifests, IImportProgress progress, Action<ImportWarning> warn, CancellationToken cancellationToken)
    {
        var repository = manifests.Repository;
        var result = manifests.Result;
        var tags = await _layout.ReadTagLinksAsync(repository, warn, cancellationToken);
        var done = 0;
        foreach (var (tag, digest) in tags)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress.Working(repository, "tags", ++done, tags.Count);
            var current = await _metadata.GetManifestAsync(repository, Reference.Parse(tag), cancellationToken);
            if (current is not null)
            {
                if (current.Digest == digest)
                {
                    result.TagsAlready++;
                }
                else
                {
                    manifests.Warn(ImportWarningKind.TagConflict,
                        $"tag {tag} points at {digest} in distribution but at {current.Digest} in Wharf; Wharf's is kept");
                    result.TagsSkipped++;
                }
                continue;
            }
            if (!manifests.Revisions.Contains(digest))
            {
                manifests.Warn(ImportWarningKind.DanglingTag, $"tag {tag} points at {digest}, which is not a manifest revision of the repository; skipped");
                result.TagsSkipped++;
                continue;
            }
            if (!manifests.InWharf.Contains(digest))
            {
                // Say why, and file a tag of a schema1 manifest with the schema1 skips, not the damage.
                var (kind, why) = manifests.Failures.TryGetValue(digest, out var failure)
                    ? (failure.Kind == ImportWarningKind.Schema1Skipped ? failure.Kind : ImportWarningKind.DanglingTag, failure.What)
                    : (ImportWarningKind.DanglingTag, "which was not imported");
                manifests.Warn(kind, $"tag {tag} points at {digest}, {why}; skipped");
                result.TagsSkipped++;
                continue;
            }
            // Already in Wharf (an earlier run stopped before its tags) or written just now.
            var manifest = manifests.Loaded.GetValueOrDefault(digest) ?? await LoadAsync(manifests, digest, cancellationToken);
            if (manifest is null)
            {
                result.TagsSkipped++;
                continue;
            }
            await PutAsync(manifests, manifest, tag, cancellationToken);
            result.TagsImported++;
        }
    }

    /// <summary>Reads a revision's bytes, checks them against its digest and parses them; null
    /// (with a warning, and the reason kept for tags that point at it) when that fails.</summary>
    private async Task<LoadedManifest?> LoadAsync(RepositoryManifests manifests, Digest digest, CancellationToken cancellationToken)
    {
        var path = StoragePaths.Blob(digest);
        var size = await _source.GetSizeAsync(path, cancellationToken);
        if (size is null)
        {
            return manifests.Fail(digest, ImportWarningKind.DanglingRevision, "a revision whose bytes are missing from blobs/");
        }
        if (size > ManifestParser.MaxManifestBytes)
        {
            return manifests.Fail(digest, ImportWarningKind.InvalidManifest, $"a revision of {size} bytes, more than the {ManifestParser.MaxManifestBytes} Wharf accepts");
        }
        var bytes = new byte[size.Value];
        await using (var stream = await _source.OpenReadAsync(path, 0, cancellationToken))
        {
            if (stream is null)
            {
                return manifests.Fail(digest, ImportWarningKind.DanglingRevision, "a revision whose bytes are missing from blobs/");
            }
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        }
        var actual = Digest.FromHash(digest.Algorithm, digest.Algorithm == Digest.Sha256 ? SHA256.HashData(bytes) : SHA512.HashData(bytes));
        if (actual != digest)
        {
            return manifests.Fail(digest, ImportWarningKind.CorruptManifest, $"a revision whose bytes are corrupt (they hash to {actual})");
        }
        var (isSchema1, contentType) = StoredManifestType.Detect(bytes);
        if (isSchema1)
        {
            manifests.Result.Schema1Skipped++;
            return manifests.Fail(digest, ImportWarningKind.Schema1Skipped, "a Docker schema1 manifest, which Wharf does not support");
        }
        ParsedManifest parsed;
        try
        {
            parsed = ManifestParser.Parse(bytes, contentType);
        }
        catch (RegistryException e)
        {
            return manifests.Fail(digest, ImportWarningKind.InvalidManifest, $"a revision that is not a manifest Wharf can store ({e.Message})");
        }
        // The same record a push of these bytes would have produced (ManifestService.PutAsync).
        var record = new ManifestRecord(digest, parsed.MediaType, bytes.Length)
        {
            Subject = parsed.Subject?.Digest,
            ArtifactType = parsed.ArtifactType,
            AnnotationsJson = parsed.AnnotationsJson,
            Payload = bytes,
        };
        var manifest = new LoadedManifest(record, parsed, parsed.References().ToList(), bytes);
        manifests.Loaded[digest] = manifest;
        return manifest;
    }

    // Imported anyway: distribution served these manifests, and a pull fails at the missing blob
    // exactly as it did there; pushing the blob again then mends the image with no new import.
    private async Task WarnAboutMissingReferencesAsync(RepositoryManifests manifests, LoadedManifest manifest, CancellationToken cancellationToken)
    {
        var digest = manifest.Record.Digest;
        var required = manifest.Parsed.RequiredBlobs.Select(d => d.Digest).ToList();
        if (required.Count > 0)
        {
            foreach (var blob in await _metadata.FindUnlinkedBlobsAsync(manifests.Repository, required, cancellationToken))
            {
                manifests.Warn(ImportWarningKind.MissingReference, $"manifest {digest} references blob {blob}, which the repository does not hold; imported anyway");
            }
        }
        foreach (var child in manifest.Parsed.Manifests)
        {
            if (!manifests.InWharf.Contains(child.Digest))
            {
                manifests.Warn(ImportWarningKind.MissingReference, $"index {digest} lists manifest {child.Digest}, which the repository does not hold; imported anyway");
            }
        }
    }

    private async Task PutAsync(RepositoryManifests manifests, LoadedManifest manifest, string? tag, CancellationToken cancellationToken)
    {
        // Bytes first, then the metadata that makes them visible (only copies when not in place).
        if (!InPlace && await _target.GetSizeAsync(StoragePaths.Blob(manifest.Record.Digest), cancellationToken) is null)
        {
            await using var bytes = new MemoryStream(manifest.Bytes, writable: false);
            await CopyIntoTargetAsync(manifests.Repository, manifest.Record.Digest, bytes, manifests.Result, manifests.Warn, cancellationToken);
        }
        await _metadata.PutManifestAsync(manifests.Repository, manifest.Record, manifest.References, tag is null ? [] : [tag], cancellationToken);
    }

    /// <summary>Makes sure the target storage holds the blob; false (warned) when it cannot.</summary>
    private async Task<bool> EnsureBlobInTargetAsync(RepositoryName repository, Digest digest, long size, RepositoryImportResult result,
        Action<ImportWarningKind, string> warning, CancellationToken cancellationToken)
    {
        if (InPlace)
        {
            return true;
        }
        var path = StoragePaths.Blob(digest);
        if (await _target.GetSizeAsync(path, cancellationToken) is not null)
        {
            return true;
        }
        await using var source = await _source.OpenReadAsync(path, 0, cancellationToken);
        if (source is null)
        {
            warning(ImportWarningKind.DanglingBlobLink, $"_layers links blob {digest}, whose data is missing; not linked");
            return false;
        }
        return await CopyIntoTargetAsync(repository, digest, source, result, warning, cancellationToken);
    }

    // As an upload completes: staged, hashed in the same pass, then moved into its place.
    private async Task<bool> CopyIntoTargetAsync(RepositoryName repository, Digest digest, Stream source, RepositoryImportResult result,
        Action<ImportWarningKind, string> warning, CancellationToken cancellationToken)
    {
        var id = UploadId.New();
        try
        {
            using var hash = IncrementalHash.CreateHash(HashingCopy.AlgorithmFor(digest.Algorithm));
            long copied;
            await using (var writer = await _target.OpenAppendWriterAsync(StoragePaths.UploadData(repository, id), cancellationToken))
            {
                copied = await HashingCopy.CopyAsync(source, writer, hash, cancellationToken);
                var actual = Digest.FromHash(digest.Algorithm, hash.GetHashAndReset());
                if (actual != digest)
                {
                    warning(ImportWarningKind.CorruptBlob, $"blob {digest} is corrupt (its bytes hash to {actual}); not copied, not linked");
                    return false;
                }
                await writer.CommitAsync(cancellationToken);
            }
            await _target.MoveAsync(StoragePaths.UploadData(repository, id), StoragePaths.Blob(digest), cancellationToken);
            result.BytesCopied += copied;
            return true;
        }
        finally
        {
            await _target.DeleteAsync(StoragePaths.UploadDirectory(repository, id), CancellationToken.None);
        }
    }

    /// <summary>Manifests in an order where whatever a manifest points at (children of an index,
    /// a subject) comes before it, when it is being imported too. Ties go by digest.</summary>
    private static List<LoadedManifest> ChildrenFirst(Dictionary<Digest, LoadedManifest> loaded)
    {
        var ordered = new List<LoadedManifest>(loaded.Count);
        var visited = new HashSet<Digest>();
        void Visit(LoadedManifest manifest)
        {
            // Content addressing makes a cycle impossible; marking on entry guards anyway.
            if (!visited.Add(manifest.Record.Digest))
            {
                return;
            }
            var pointsAt = manifest.Parsed.Manifests.Select(d => d.Digest);
            if (manifest.Parsed.Subject is { } subject)
            {
                pointsAt = pointsAt.Append(subject.Digest);
            }
            foreach (var target in pointsAt)
            {
                if (loaded.TryGetValue(target, out var child))
                {
                    Visit(child);
                }
            }
            ordered.Add(manifest);
        }
        foreach (var manifest in loaded.Values.OrderBy(m => m.Record.Digest.ToString(), StringComparer.Ordinal))
        {
            Visit(manifest);
        }
        return ordered;
    }

    private sealed record LoadedManifest(ManifestRecord Record, ParsedManifest Parsed, IReadOnlyCollection<(Digest Digest, ReferenceKind Kind)> References, byte[] Bytes);

    /// <summary>What is known of one repository's manifests while it is imported.</summary>
    private sealed class RepositoryManifests(RepositoryName repository, RepositoryImportResult result, Action<ImportWarningKind, string> warn)
    {
        public RepositoryName Repository { get; } = repository;
        public RepositoryImportResult Result { get; } = result;

        /// <summary>The revisions distribution lists for the repository.</summary>
        public HashSet<Digest> Revisions { get; } = [];

        /// <summary>Revisions in Wharf's metadata: from an earlier run, or written by this one.</summary>
        public HashSet<Digest> InWharf { get; } = [];

        /// <summary>Revisions read and checked, to be written.</summary>
        public Dictionary<Digest, LoadedManifest> Loaded { get; } = [];

        /// <summary>Why a revision was not imported, for the warnings about tags pointing at it.</summary>
        public Dictionary<Digest, (ImportWarningKind Kind, string What)> Failures { get; } = [];

        public void Warn(ImportWarningKind kind, string message) => warn(kind, message);

        public LoadedManifest? Fail(Digest digest, ImportWarningKind kind, string what)
        {
            Failures[digest] = (kind, what);
            warn(kind, $"manifest {digest} is {what}; skipped");
            return null;
        }
    }
}
