using Wharf.Manifests;

namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    [Fact]
    public async Task CountAsync_EmptyStore_IsAllZero()
    {
        Assert.Equal(new Wharf.Metadata.MetadataCounts(0, 0, 0, 0, 0), await Store.CountAsync(Ct));
    }

    [Fact]
    public async Task CountAsync_Content_CountsEachKindOfRow()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("layer"), 10, Ct);
        await Store.LinkBlobAsync(Repo("b"), BlobDigest("layer"), 10, Ct);
        await Store.LinkBlobAsync(Repo("b"), BlobDigest("config"), 5, Ct);
        await Store.PutManifestAsync(Repo("a"), Manifest("1"), [(BlobDigest("layer"), ReferenceKind.Layer)], ["v1", "latest"], Ct);
        await Store.PutManifestAsync(Repo("b"), Manifest("2"), NoReferences, [], Ct);

        var counts = await Store.CountAsync(Ct);

        // Blobs: two linked, plus the two manifests' own bytes.
        Assert.Equal(new Wharf.Metadata.MetadataCounts(Repositories: 2, Blobs: 4, BlobLinks: 3, Manifests: 2, Tags: 2), counts);
    }
}
