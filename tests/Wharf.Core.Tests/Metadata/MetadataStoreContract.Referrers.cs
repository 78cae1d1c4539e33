using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Metadata;

namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    private static ManifestRecord Referrer(string seed, Digest subject, string artifactType, string? annotations = null) =>
        Manifest(seed) with { Subject = subject, ArtifactType = artifactType, AnnotationsJson = annotations };

    [Fact]
    public async Task ListReferrersAsync_Subject_ReturnsReferrersOrderedByDigest()
    {
        var subject = TestDigests.Sha256Of("subject");
        var first = Referrer("r1", subject, "application/vnd.example.a", "{\"k\":\"v\"}");
        var second = Referrer("r2", subject, "application/vnd.example.b");
        await PutAsync("a", first);
        await PutAsync("a", second);
        await PutAsync("a", Manifest("unrelated"));

        var referrers = await Store.ListReferrersAsync(Repo("a"), subject, null, Ct);

        Assert.Equal(new[] { first, second }.OrderBy(m => m.Digest.ToString(), StringComparer.Ordinal), referrers);
    }

    [Fact]
    public async Task ListReferrersAsync_ArtifactTypeFilter_ReturnsOnlyThatType()
    {
        var subject = TestDigests.Sha256Of("subject");
        var wanted = Referrer("r1", subject, "application/vnd.example.a");
        await PutAsync("a", wanted);
        await PutAsync("a", Referrer("r2", subject, "application/vnd.example.b"));

        var referrers = await Store.ListReferrersAsync(Repo("a"), subject, "application/vnd.example.a", Ct);

        Assert.Equal([wanted], referrers);
    }

    [Fact]
    public async Task ListReferrersAsync_OtherRepositoryOrDeleted_AreNotListed()
    {
        var subject = TestDigests.Sha256Of("subject");
        var deleted = Referrer("r1", subject, "application/vnd.example.a");
        await PutAsync("a", deleted);
        await PutAsync("b", Referrer("r2", subject, "application/vnd.example.a"));
        await Store.DeleteManifestAsync(Repo("a"), deleted.Digest, Ct);

        Assert.Empty(await Store.ListReferrersAsync(Repo("a"), subject, null, Ct));
        Assert.Empty(await Store.ListReferrersAsync(Repo("unknown"), subject, null, Ct));
    }

    [Fact]
    public async Task GetBlobSizeAsync_BlobOfAnyRepository_ReturnsSize()
    {
        var digest = BlobDigest("shared");
        await Store.LinkBlobAsync(Repo("a"), digest, 42, Ct);

        Assert.Equal(42, await Store.GetBlobSizeAsync(digest, Ct));
        Assert.Null(await Store.GetBlobSizeAsync(BlobDigest("unknown"), Ct));
    }
}
