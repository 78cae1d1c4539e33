using Wharf.Manifests;

namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    [Fact]
    public async Task CountAsync_EmptyStore_IsAllZero()
    {
        Assert.Equal(new Wharf.Metadata.MetadataCounts(0, 0, 0, 0, 0, 0), await Store.CountAsync(Ct));
    }

    [Fact]
    public async Task CountAsync_Content_CountsEachKindOfRow()
    {
        await Store.LinkBlobAsync(Repo("a"), BlobDigest("layer"), 10, Ct);
        await Store.LinkBlobAsync(Repo("b"), BlobDigest("layer"), 10, Ct);
        await Store.LinkBlobAsync(Repo("b"), BlobDigest("config"), 5, Ct);
        var first = Manifest("1");
        var second = Manifest("2");
        await Store.PutManifestAsync(Repo("a"), first, [(BlobDigest("layer"), ReferenceKind.Layer)], ["v1", "latest"], Ct);
        await Store.PutManifestAsync(Repo("b"), second, NoReferences, [], Ct);

        var counts = await Store.CountAsync(Ct);

        // Blobs: two linked, plus the two manifests' own bytes; each blob's size counted once.
        Assert.Equal(new Wharf.Metadata.MetadataCounts(Repositories: 2, Blobs: 4, BlobLinks: 3, Manifests: 2, Tags: 2, BlobBytes: 10 + 5 + first.Size + second.Size), counts);
    }
}
