using Wharf.Distribution;
using Wharf.Manifests;
using Wharf.Metadata;

namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    [Fact]
    public async Task GetManifestAsync_ByTag_ReturnsTaggedManifest()
    {
        var manifest = Manifest("1");
        await PutAsync("a", manifest, "latest");

        Assert.Equal(manifest, await GetByTagAsync("a", "latest"));
    }

    [Fact]
    public async Task GetManifestAsync_ByDigest_ReturnsManifest()
    {
        var manifest = Manifest("1");
        await PutAsync("a", manifest, "latest");

        Assert.Equal(manifest, await GetByDigestAsync("a", manifest.Digest));
    }

    [Fact]
    public async Task GetManifestAsync_UntaggedManifestByDigest_ReturnsManifest()
    {
        var manifest = Manifest("1");
        await PutAsync("a", manifest);

        Assert.Equal(manifest, await GetByDigestAsync("a", manifest.Digest));
    }

    [Fact]
    public async Task GetManifestAsync_UnknownTag_ReturnsNull()
    {
        await PutAsync("a", Manifest("1"), "latest");

        Assert.Null(await GetByTagAsync("a", "other"));
    }

    [Fact]
    public async Task GetManifestAsync_UnknownDigest_ReturnsNull()
    {
        await PutAsync("a", Manifest("1"), "latest");

        Assert.Null(await GetByDigestAsync("a", Manifest("2").Digest));
    }

    [Fact]
    public async Task GetManifestAsync_UnknownRepository_ReturnsNull()
    {
        Assert.Null(await GetByTagAsync("nowhere", "latest"));
    }

    [Fact]
    public async Task GetManifestAsync_ManifestOfOtherRepositoryByDigest_ReturnsNull()
    {
        var manifest = Manifest("1");
        await PutAsync("a", manifest, "latest");
        await PutAsync("b", Manifest("2"), "latest");

        Assert.Null(await GetByDigestAsync("b", manifest.Digest));
    }

    [Fact]
    public async Task GetManifestAsync_TagOfOtherRepository_ReturnsNull()
    {
        await PutAsync("a", Manifest("1"), "only-in-a");
        await PutAsync("b", Manifest("2"), "latest");

        Assert.Null(await GetByTagAsync("b", "only-in-a"));
    }

    [Fact]
    public async Task GetManifestAsync_TagInOtherCase_ReturnsNull()
    {
        await PutAsync("a", Manifest("1"), "Latest");

        Assert.Null(await GetByTagAsync("a", "latest"));
    }

    [Fact]
    public async Task PutManifestAsync_AllFields_RoundTrip()
    {
        var manifest = new ManifestRecord(Manifest("1").Digest, MediaTypes.OciIndex, 4321)
        {
            Subject = BlobDigest("subject"),
            ArtifactType = "application/vnd.example.sbom.v1+json",
            AnnotationsJson = """{"org.example":"value"}""",
        };

        await PutAsync("a", manifest, "v1");

        Assert.Equal(manifest, await GetByDigestAsync("a", manifest.Digest));
    }

    [Fact]
    public async Task PutManifestAsync_OptionalFieldsAbsent_RoundTripAsNull()
    {
        var manifest = Manifest("1");

        await PutAsync("a", manifest, "v1");

        var stored = await GetByTagAsync("a", "v1");
        Assert.NotNull(stored);
        Assert.Null(stored.Subject);
        Assert.Null(stored.ArtifactType);
        Assert.Null(stored.AnnotationsJson);
    }

    [Fact]
    public async Task PutManifestAsync_WithReferences_StoresManifest()
    {
        var manifest = Manifest("1");
        IReadOnlyCollection<(Digest, ReferenceKind)> references =
        [
            (BlobDigest("config"), ReferenceKind.Config),
            (BlobDigest("layer"), ReferenceKind.Layer),
            (BlobDigest("layer"), ReferenceKind.Layer),
            (Manifest("child").Digest, ReferenceKind.Manifest),
            (Manifest("subject").Digest, ReferenceKind.Subject),
        ];

        await Store.PutManifestAsync(Repo("a"), manifest, references, ["v1"], Ct);

        Assert.Equal(manifest, await GetByTagAsync("a", "v1"));
    }

    [Fact]
    public async Task PutManifestAsync_SameManifestTwice_IsIdempotent()
    {
        var manifest = Manifest("1");

        await PutAsync("a", manifest, "latest");
        await PutAsync("a", manifest, "latest");

        Assert.Equal(manifest, await GetByTagAsync("a", "latest"));
        var tags = await Store.ListTagsAsync(Repo("a"), null, null, Ct);
        Assert.NotNull(tags);
        Assert.Equal(["latest"], tags.Items);
    }

    [Fact]
    public async Task PutManifestAsync_SameManifestWithSecondTag_KeepsBothTags()
    {
        var manifest = Manifest("1");

        await PutAsync("a", manifest, "v1");
        await PutAsync("a", manifest, "latest");

        Assert.Equal(manifest, await GetByTagAsync("a", "v1"));
        Assert.Equal(manifest, await GetByTagAsync("a", "latest"));
    }

    [Fact]
    public async Task PutManifestAsync_ExistingTag_MovesTagToNewManifest()
    {
        var first = Manifest("1");
        var second = Manifest("2");
        await PutAsync("a", first, "latest");

        await PutAsync("a", second, "latest");

        Assert.Equal(second, await GetByTagAsync("a", "latest"));
    }

    [Fact]
    public async Task PutManifestAsync_TagMoved_OldManifestStillReachableByDigest()
    {
        var first = Manifest("1");
        await PutAsync("a", first, "latest");

        await PutAsync("a", Manifest("2"), "latest");

        Assert.Equal(first, await GetByDigestAsync("a", first.Digest));
    }

    [Fact]
    public async Task PutManifestAsync_TagMovedBack_PointsAtFirstManifestAgain()
    {
        var first = Manifest("1");
        await PutAsync("a", first, "latest");
        await PutAsync("a", Manifest("2"), "latest");

        await PutAsync("a", first, "latest");

        Assert.Equal(first, await GetByTagAsync("a", "latest"));
    }

    [Fact]
    public async Task PutManifestAsync_SameTagInTwoRepositories_AreIndependent()
    {
        var first = Manifest("1");
        var second = Manifest("2");

        await PutAsync("a", first, "latest");
        await PutAsync("b", second, "latest");

        Assert.Equal(first, await GetByTagAsync("a", "latest"));
        Assert.Equal(second, await GetByTagAsync("b", "latest"));
    }

    [Fact]
    public async Task PutManifestAsync_SameManifestInTwoRepositories_StoresBoth()
    {
        var manifest = Manifest("1");

        await PutAsync("a", manifest, "x");
        await PutAsync("b", manifest, "y");

        Assert.Equal(manifest, await GetByDigestAsync("a", manifest.Digest));
        Assert.Equal(manifest, await GetByDigestAsync("b", manifest.Digest));
    }

    [Fact]
    public async Task DeleteManifestAsync_ExistingManifest_ReturnsTrueAndRemovesIt()
    {
        var manifest = Manifest("1");
        await PutAsync("a", manifest);

        Assert.True(await Store.DeleteManifestAsync(Repo("a"), manifest.Digest, Ct));
        Assert.Null(await GetByDigestAsync("a", manifest.Digest));
    }

    [Fact]
    public async Task DeleteManifestAsync_TaggedManifest_RemovesItsTags()
    {
        var manifest = Manifest("1");
        await PutAsync("a", manifest, "v1");
        await PutAsync("a", manifest, "latest");

        await Store.DeleteManifestAsync(Repo("a"), manifest.Digest, Ct);

        Assert.Null(await GetByTagAsync("a", "v1"));
        Assert.Null(await GetByTagAsync("a", "latest"));
        var tags = await Store.ListTagsAsync(Repo("a"), null, null, Ct);
        Assert.NotNull(tags);
        Assert.Empty(tags.Items);
    }

    [Fact]
    public async Task DeleteManifestAsync_TaggedManifest_LeavesOtherManifestsTags()
    {
        var doomed = Manifest("1");
        var kept = Manifest("2");
        await PutAsync("a", doomed, "old");
        await PutAsync("a", kept, "new");

        await Store.DeleteManifestAsync(Repo("a"), doomed.Digest, Ct);

        Assert.Equal(kept, await GetByTagAsync("a", "new"));
    }

    [Fact]
    public async Task DeleteManifestAsync_AfterTagMovedAway_LeavesMovedTag()
    {
        var first = Manifest("1");
        var second = Manifest("2");
        await PutAsync("a", first, "latest");
        await PutAsync("a", second, "latest");

        await Store.DeleteManifestAsync(Repo("a"), first.Digest, Ct);

        Assert.Equal(second, await GetByTagAsync("a", "latest"));
    }

    [Fact]
    public async Task DeleteManifestAsync_SameManifestInOtherRepository_LeavesOtherCopy()
    {
        var manifest = Manifest("1");
        await PutAsync("a", manifest, "latest");
        await PutAsync("b", manifest, "latest");

        await Store.DeleteManifestAsync(Repo("a"), manifest.Digest, Ct);

        Assert.Equal(manifest, await GetByTagAsync("b", "latest"));
    }

    [Fact]
    public async Task DeleteManifestAsync_UnknownManifest_ReturnsFalse()
    {
        await PutAsync("a", Manifest("1"));

        Assert.False(await Store.DeleteManifestAsync(Repo("a"), Manifest("2").Digest, Ct));
    }

    [Fact]
    public async Task DeleteManifestAsync_UnknownRepository_ReturnsFalse()
    {
        Assert.False(await Store.DeleteManifestAsync(Repo("nowhere"), Manifest("1").Digest, Ct));
    }

    [Fact]
    public async Task PutManifestAsync_AfterDelete_StoresManifestAgain()
    {
        var manifest = Manifest("1");
        await PutAsync("a", manifest, "latest");
        await Store.DeleteManifestAsync(Repo("a"), manifest.Digest, Ct);

        await PutAsync("a", manifest, "latest");

        Assert.Equal(manifest, await GetByTagAsync("a", "latest"));
    }

    [Fact]
    public async Task DeleteTagAsync_ExistingTag_ReturnsTrueAndRemovesTag()
    {
        await PutAsync("a", Manifest("1"), "latest");

        Assert.True(await Store.DeleteTagAsync(Repo("a"), "latest", Ct));
        Assert.Null(await GetByTagAsync("a", "latest"));
    }

    [Fact]
    public async Task DeleteTagAsync_ExistingTag_LeavesManifest()
    {
        var manifest = Manifest("1");
        await PutAsync("a", manifest, "latest");

        await Store.DeleteTagAsync(Repo("a"), "latest", Ct);

        Assert.Equal(manifest, await GetByDigestAsync("a", manifest.Digest));
    }

    [Fact]
    public async Task DeleteTagAsync_OneOfTwoTags_LeavesOtherTag()
    {
        var manifest = Manifest("1");
        await PutAsync("a", manifest, "v1");
        await PutAsync("a", manifest, "latest");

        await Store.DeleteTagAsync(Repo("a"), "latest", Ct);

        Assert.Equal(manifest, await GetByTagAsync("a", "v1"));
    }

    [Fact]
    public async Task DeleteTagAsync_UnknownTag_ReturnsFalse()
    {
        await PutAsync("a", Manifest("1"), "latest");

        Assert.False(await Store.DeleteTagAsync(Repo("a"), "other", Ct));
    }

    [Fact]
    public async Task DeleteTagAsync_TagOfOtherRepository_ReturnsFalseAndLeavesIt()
    {
        var manifest = Manifest("1");
        await PutAsync("a", manifest, "latest");
        await PutAsync("b", Manifest("2"), "other");

        Assert.False(await Store.DeleteTagAsync(Repo("b"), "latest", Ct));
        Assert.Equal(manifest, await GetByTagAsync("a", "latest"));
    }

    [Fact]
    public async Task FindMissingManifestsAsync_SomeStored_ReturnsOnlyMissing()
    {
        await PutAsync("a", Manifest("1"));
        await PutAsync("a", Manifest("3"));

        var missing = await Store.FindMissingManifestsAsync(Repo("a"), [Manifest("1").Digest, Manifest("2").Digest, Manifest("3").Digest], Ct);

        Assert.Equal([Manifest("2").Digest], missing);
    }

    [Fact]
    public async Task FindMissingManifestsAsync_ManifestOnlyInOtherRepository_ReportsIt()
    {
        await PutAsync("a", Manifest("1"));

        Assert.Equal([Manifest("1").Digest], await Store.FindMissingManifestsAsync(Repo("b"), [Manifest("1").Digest], Ct));
    }

    [Fact]
    public async Task FindMissingManifestsAsync_LinkedBlobThatIsNoManifest_ReportsIt()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("1"), 10, Ct);

        Assert.Equal([BlobDigest("1")], await Store.FindMissingManifestsAsync(Repo("a"), [BlobDigest("1")], Ct));
    }
}
