using Wharf.Storage;
using Wharf.Storage.S3;

namespace Wharf.Configuration;

/// <summary>Opens the blob storage the settings name: what the server uses, and the CLI verbs that
/// work on the same bytes (gc, scrub).</summary>
public static class BlobStorages
{
    public static IBlobStorage Open(StorageOptions storage) =>
        storage.UsesS3 ? new S3BlobStorage(storage.S3) : new FileSystemBlobStorage(storage.Root);
}
