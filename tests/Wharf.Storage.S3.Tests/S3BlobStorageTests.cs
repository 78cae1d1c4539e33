using Wharf.Core.Tests.Storage;

namespace Wharf.Storage.S3.Tests;

/// <summary>Runs the <see cref="IBlobStorage"/> contract against a real S3 engine (Ceph RGW), each
/// test in a bucket of its own.</summary>
[Collection(RgwCollection.Name)]
public sealed class S3BlobStorageTests(RgwEngine rgw) : BlobStorageContract, IAsyncLifetime
{
    private string? _bucket;
    private S3BlobStorage? _storage;

    protected override IBlobStorage Storage => _storage ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync()
    {
        _bucket = await rgw.CreateBucketAsync();
        _storage = new S3BlobStorage(rgw.Client, _bucket, prefix: null);
    }

    public async Task DisposeAsync()
    {
        if (_bucket is not null)
        {
            await rgw.DeleteBucketAsync(_bucket);
        }
    }
}
