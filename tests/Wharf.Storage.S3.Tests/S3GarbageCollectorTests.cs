using Wharf.Core.Tests.Gc;
using Wharf.Core.Tests.TestSupport;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Storage.S3.Tests;

/// <summary>Garbage collection with its bytes on the real S3 engine (Ceph RGW): the same contract as
/// on the local filesystem.</summary>
[Collection(RgwCollection.Name)]
public sealed class S3GarbageCollectorTests(RgwEngine rgw) : GarbageCollectorContract, IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private SqliteMetadataStore? _store;
    private S3BlobStorage? _storage;
    private string _bucket = "";

    protected override IMetadataStore Store => _store!;

    protected override IBlobStorage Storage => _storage!;

    public async Task InitializeAsync()
    {
        _bucket = await rgw.CreateBucketAsync();
        _storage = new S3BlobStorage(rgw.Client, _bucket, prefix: null);
        _store = new SqliteMetadataStore(_temp.Combine("wharf.db"), Time);
    }

    public async Task DisposeAsync()
    {
        _store?.Dispose();
        _temp.Dispose();
        await rgw.DeleteBucketAsync(_bucket);
    }
}
