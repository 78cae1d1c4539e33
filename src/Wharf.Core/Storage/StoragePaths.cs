using Wharf.Distribution;

namespace Wharf.Storage;

/// <summary>
/// Every storage path Wharf uses, built in this one place and only from validated names, digests
/// and upload ids. The layout is CNCF distribution's, so a <c>registry:2</c> data directory and a
/// Wharf one hold blobs in the same places:
/// <code>
/// docker/registry/v2/
///   blobs/
///     sha256/ab/abcdef.../data            content: layers, configs and manifests alike
///   repositories/
///     &lt;name&gt;/_uploads/&lt;id&gt;/data          an upload in progress
/// </code>
/// Wharf keeps repositories, tags and links in its metadata store, not as link files.
/// </summary>
public static class StoragePaths
{
    public const string Root = "docker/registry/v2";

    public static string Blob(Digest digest) => $"{BlobDirectory(digest)}/data";

    /// <summary>Where a blob's <c>data</c> lies: deleting it leaves nothing of the blob behind.</summary>
    public static string BlobDirectory(Digest digest) => $"{Root}/blobs/{digest.Algorithm}/{digest.Hex[..2]}/{digest.Hex}";

    /// <summary>The top of the blob store: one folder per digest algorithm below it.</summary>
    public const string Blobs = $"{Root}/blobs";

    public static string UploadDirectory(RepositoryName repository, UploadId id) => $"{Root}/repositories/{repository.Value}/_uploads/{id}";

    public static string UploadData(RepositoryName repository, UploadId id) => $"{UploadDirectory(repository, id)}/data";
}
