namespace Wharf.Storage.S3;

/// <summary>The limits of S3's multipart uploads that shape this adapter (the same on AWS, Ceph RGW
/// and MinIO).</summary>
internal static class S3Limits
{
    /// <summary>Every part of a multipart upload but the last must be at least this large, copied
    /// parts included.</summary>
    public const long MinPartSize = 5L * 1024 * 1024;

    /// <summary>The most one CopyObject, or one UploadPartCopy, may copy.</summary>
    public const long MaxCopySize = 5L * 1024 * 1024 * 1024;

    public const int MaxParts = 10_000;

    /// <summary>Parts of the writers' uploads: large enough for few requests, small enough that a
    /// writer holds little (one part buffer).</summary>
    public const int DefaultPartSize = 8 * 1024 * 1024;

    /// <summary>Parts grow by one base size every thousand, so that 10,000 parts reach about 440 GiB
    /// with 8 MiB to start, while a writer still holds one part at a time (at most 80 MiB, for the
    /// last thousand parts of such an object).</summary>
    public static int PartSize(int basePartSize, int partNumber) => basePartSize * (1 + (partNumber - 1) / 1000);
}
