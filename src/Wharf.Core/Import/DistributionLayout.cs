using System.Text;
using Wharf.Distribution;
using Wharf.Storage;

namespace Wharf.Import;

/// <summary>
/// Reads, never writes, the metadata CNCF distribution (<c>registry:2</c>) keeps as link files,
/// through <see cref="IBlobStorage"/> so that any backend can be imported from:
/// <code>
/// docker/registry/v2/repositories/&lt;name&gt;/
///   _layers/&lt;alg&gt;/&lt;hex&gt;/link                       a blob the repository may read
///   _manifests/revisions/&lt;alg&gt;/&lt;hex&gt;/link           a manifest of the repository
///   _manifests/tags/&lt;tag&gt;/current/link               the manifest a tag points at
///   _uploads/...                                   uploads in progress (not imported)
/// </code>
/// Each link file holds a digest. The blobs themselves are at the paths <see cref="StoragePaths"/>
/// builds, which are distribution's. Paths here are built only from names, tags and digests that
/// have been validated, as <see cref="StoragePaths"/> does for the paths Wharf writes.
/// </summary>
public sealed class DistributionLayout(IBlobStorage storage)
{
    public const string RepositoriesRoot = StoragePaths.Root + "/repositories";

    // A link holds "sha512:" and 128 hex digits at most; anything much longer is not a link.
    private const int MaxLinkBytes = 1024;

    // The directories that make their parent a repository (distribution's catalog looks for
    // _layers; a repository with only _manifests or _uploads is still one worth reading).
    private static readonly string[] RepositoryMarkers = ["_layers", "_manifests", "_uploads"];

    /// <summary>Whether the storage holds distribution's tree at all.</summary>
    public async Task<bool> IsPresentAsync(CancellationToken cancellationToken)
    {
        await foreach (var name in storage.ListAsync(StoragePaths.Root, cancellationToken))
        {
            if (name is "repositories" or "blobs")
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Every repository, sorted by name. Names have several components, so the walk goes down
    /// until it meets a directory starting with '_'; a repository may also contain others
    /// (<c>team</c> and <c>team/app</c>), so it keeps walking the siblings of those markers.
    /// </summary>
    public async Task<IReadOnlyList<RepositoryName>> FindRepositoriesAsync(Action<ImportWarning> warn, CancellationToken cancellationToken)
    {
        var found = new List<RepositoryName>();
        await WalkAsync(null, found, warn, cancellationToken);
        found.Sort((a, b) => string.CompareOrdinal(a.Value, b.Value));
        return found;
    }

    private async Task WalkAsync(RepositoryName? prefix, List<RepositoryName> found, Action<ImportWarning> warn, CancellationToken cancellationToken)
    {
        var directory = prefix is null ? RepositoriesRoot : $"{RepositoriesRoot}/{prefix.Value}";
        var isRepository = false;
        foreach (var child in await ListSortedAsync(directory, cancellationToken))
        {
            if (child.StartsWith('_'))
            {
                isRepository |= RepositoryMarkers.Contains(child);
                continue;
            }
            if (child.StartsWith('.'))
            {
                continue; // editor and OS droppings (.DS_Store, .nfs...), never a name component
            }
            var candidate = prefix is null ? child : $"{prefix.Value}/{child}";
            if (!RepositoryName.TryParse(candidate, out var name))
            {
                warn(new ImportWarning(ImportWarningKind.InvalidEntry, null,
                    $"repositories/{InputText.Clip(candidate)} is not a valid repository name; skipped with everything under it"));
                continue;
            }
            await WalkAsync(name, found, warn, cancellationToken);
        }
        if (isRepository && prefix is not null)
        {
            found.Add(prefix);
        }
    }

    /// <summary>The blobs linked under <c>_layers</c>: those the repository may read.</summary>
    public Task<List<Digest>> ReadLayerLinksAsync(RepositoryName repository, Action<ImportWarning> warn, CancellationToken cancellationToken) =>
        ReadDigestLinksAsync(repository, "_layers", warn, cancellationToken);

    /// <summary>The manifests linked under <c>_manifests/revisions</c>.</summary>
    public Task<List<Digest>> ReadRevisionLinksAsync(RepositoryName repository, Action<ImportWarning> warn, CancellationToken cancellationToken) =>
        ReadDigestLinksAsync(repository, "_manifests/revisions", warn, cancellationToken);

    /// <summary>Each tag and the digest its <c>current/link</c> holds, sorted by tag.</summary>
    public async Task<List<(string Tag, Digest Digest)>> ReadTagLinksAsync(RepositoryName repository, Action<ImportWarning> warn, CancellationToken cancellationToken)
    {
        var directory = $"{RepositoriesRoot}/{repository.Value}/_manifests/tags";
        var tags = new List<(string, Digest)>();
        foreach (var tag in await ListSortedAsync(directory, cancellationToken))
        {
            if (!Tag.IsValid(tag))
            {
                warn(new ImportWarning(ImportWarningKind.InvalidEntry, repository.Value, $"_manifests/tags/{InputText.Clip(tag)} is not a valid tag; skipped"));
                continue;
            }
            var digest = await ReadLinkAsync(directory, $"{tag}/current/link", repository, warn, cancellationToken);
            if (digest is null)
            {
                // Distribution removes a tag's whole directory when it untags, so a tag without a
                // current link was broken by something else; say so.
                warn(new ImportWarning(ImportWarningKind.DanglingTag, repository.Value, $"tag {tag} has no readable current/link; skipped"));
                continue;
            }
            tags.Add((tag, digest.Value));
        }
        return tags;
    }

    private async Task<List<Digest>> ReadDigestLinksAsync(RepositoryName repository, string area, Action<ImportWarning> warn, CancellationToken cancellationToken)
    {
        var directory = $"{RepositoriesRoot}/{repository.Value}/{area}";
        var digests = new List<Digest>();
        foreach (var algorithm in await ListSortedAsync(directory, cancellationToken))
        {
            if (!Digest.IsSupportedAlgorithm(algorithm))
            {
                warn(new ImportWarning(ImportWarningKind.InvalidEntry, repository.Value,
                    $"{area}/{InputText.Clip(algorithm)}: digest algorithm not supported by Wharf (sha256, sha512); skipped"));
                continue;
            }
            foreach (var hex in await ListSortedAsync($"{directory}/{algorithm}", cancellationToken))
            {
                if (!Digest.TryParse($"{algorithm}:{hex}", out var digest))
                {
                    warn(new ImportWarning(ImportWarningKind.InvalidEntry, repository.Value, $"{area}/{algorithm}/{InputText.Clip(hex)} is not a digest; skipped"));
                    continue;
                }
                var linked = await ReadLinkAsync(directory, $"{algorithm}/{hex}/link", repository, warn, cancellationToken);
                if (linked is null)
                {
                    // Distribution deletes the link file but leaves its directory when a manifest
                    // or a blob link is deleted: an empty directory is something deleted, not damage.
                    continue;
                }
                if (linked.Value != digest)
                {
                    warn(new ImportWarning(ImportWarningKind.InvalidEntry, repository.Value,
                        $"{area}/{algorithm}/{hex}/link holds {linked.Value}, not the digest its path names; skipped"));
                    continue;
                }
                digests.Add(digest);
            }
        }
        return digests;
    }

    /// <summary>The digest a link file holds; null when there is no link (nothing to warn about)
    /// or when it holds something else (warned).</summary>
    private async Task<Digest?> ReadLinkAsync(string directory, string link, RepositoryName repository, Action<ImportWarning> warn, CancellationToken cancellationToken)
    {
        await using var stream = await storage.OpenReadAsync($"{directory}/{link}", 0, cancellationToken);
        if (stream is null)
        {
            return null;
        }
        var buffer = new byte[MaxLinkBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }
        var text = length > MaxLinkBytes ? null : Encoding.UTF8.GetString(buffer, 0, length).Trim();
        if (Digest.TryParse(text, out var digest))
        {
            return digest;
        }
        var area = directory[(RepositoriesRoot.Length + repository.Value.Length + 2)..];
        warn(new ImportWarning(ImportWarningKind.InvalidEntry, repository.Value,
            $"{area}/{link} does not hold a digest Wharf supports ('{InputText.Clip(text ?? "(too long)")}'); skipped"));
        return null;
    }

    private async Task<List<string>> ListSortedAsync(string prefix, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var name in storage.ListAsync(prefix, cancellationToken))
        {
            names.Add(name);
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }
}
