using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Manifests;
using Wharf.Metadata;

namespace Wharf.Core.Tests.Metadata;

/// <summary>
/// What every <see cref="IMetadataStore"/> must do. A backend's test class derives from this and
/// supplies a fresh, empty store in <see cref="Store"/>. The tests are spread over the
/// <c>MetadataStoreContract.*.cs</c> files by area.
/// </summary>
public abstract partial class MetadataStoreContract : IDisposable
{
    protected abstract IMetadataStore Store { get; }

    protected static CancellationToken Ct => CancellationToken.None;

    protected static RepositoryName Repo(string name) => RepositoryName.Parse(name);

    protected static Digest BlobDigest(string seed) => TestDigests.Sha256Of("blob:" + seed);

    protected static ManifestRecord Manifest(string seed, long size = 100) =>
        new(TestDigests.Sha256Of("manifest:" + seed), MediaTypes.OciManifest, size);

    protected static IReadOnlyCollection<(Digest Digest, ReferenceKind Kind)> NoReferences { get; } = [];

    protected Task PutAsync(string repository, ManifestRecord manifest, string? tag = null) =>
        Store.PutManifestAsync(Repo(repository), manifest, NoReferences, tag is null ? [] : [tag], Ct);

    protected Task<ManifestRecord?> GetByTagAsync(string repository, string tag) =>
        Store.GetManifestAsync(Repo(repository), Reference.Parse(tag), Ct);

    protected Task<ManifestRecord?> GetByDigestAsync(string repository, Digest digest) =>
        Store.GetManifestAsync(Repo(repository), Reference.FromDigest(digest), Ct);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
