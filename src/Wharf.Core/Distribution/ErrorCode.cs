namespace Wharf.Distribution;

/// <summary>The error codes of the OCI Distribution Specification (section "Error Codes"), plus
/// TAG_INVALID from the Docker Registry HTTP API V2 table it grew out of: a client must be able to
/// look up every code it receives. Where the spec wants another status for a code (an out-of-order
/// chunk is BLOB_UPLOAD_INVALID with 416), the exception says so.</summary>
public enum ErrorCode
{
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    TooManyRequests,
    TagInvalid,
    Unknown,
}

/// <summary>One row of the error table: the wire code, its standard message and HTTP status.</summary>
public sealed record ErrorDescriptor(string Code, string Message, int Status);

/// <summary>The single table of error codes; nothing else in Wharf spells a code or picks its status.</summary>
public static class ErrorCodes
{
    private static readonly ErrorDescriptor[] Table = Build();

    public static ErrorDescriptor Describe(this ErrorCode code) => Table[(int)code];

    private static ErrorDescriptor[] Build()
    {
        var table = new ErrorDescriptor[Enum.GetValues<ErrorCode>().Length];
        void Add(ErrorCode code, string wire, string message, int status) => table[(int)code] = new(wire, message, status);

        Add(ErrorCode.BlobUnknown, "BLOB_UNKNOWN", "blob unknown to registry", 404);
        Add(ErrorCode.BlobUploadInvalid, "BLOB_UPLOAD_INVALID", "blob upload invalid", 400);
        Add(ErrorCode.BlobUploadUnknown, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", 404);
        Add(ErrorCode.DigestInvalid, "DIGEST_INVALID", "provided digest did not match uploaded content", 400);
        Add(ErrorCode.ManifestBlobUnknown, "MANIFEST_BLOB_UNKNOWN", "manifest references a manifest or blob unknown to registry", 400);
        Add(ErrorCode.ManifestInvalid, "MANIFEST_INVALID", "manifest invalid", 400);
        Add(ErrorCode.ManifestUnknown, "MANIFEST_UNKNOWN", "manifest unknown to registry", 404);
        Add(ErrorCode.NameInvalid, "NAME_INVALID", "invalid repository name", 400);
        Add(ErrorCode.NameUnknown, "NAME_UNKNOWN", "repository name not known to registry", 404);
        Add(ErrorCode.SizeInvalid, "SIZE_INVALID", "provided length did not match content length", 400);
        Add(ErrorCode.Unauthorized, "UNAUTHORIZED", "authentication required", 401);
        Add(ErrorCode.Denied, "DENIED", "requested access to the resource is denied", 403);
        Add(ErrorCode.Unsupported, "UNSUPPORTED", "the operation is unsupported", 405);
        Add(ErrorCode.TooManyRequests, "TOOMANYREQUESTS", "too many requests", 429);
        // Docker Registry HTTP API V2: a tag that breaks the grammar, on a push. CNCF distribution
        // and zot answer it too, and docker/containerd clients know it.
        Add(ErrorCode.TagInvalid, "TAG_INVALID", "manifest tag is invalid", 400);
        Add(ErrorCode.Unknown, "UNKNOWN", "unknown error", 500);
        return table;
    }
}
