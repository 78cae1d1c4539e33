namespace Wharf.Storage.S3;

/// <summary>Blob storage in an S3 bucket (configuration section <c>Storage:S3</c>, used with
/// <c>Storage:Provider: s3</c>). Keys are distribution's paths under <see cref="Prefix"/>, so a bucket
/// written by distribution's S3 driver (with the same root directory) is readable as it is.</summary>
public sealed class S3StorageOptions
{
    public const string Section = "Storage:S3";

    /// <summary>An S3-compatible service's URL (Ceph RGW, MinIO ...); unset for AWS itself.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The region requests are signed for (and, without <see cref="Endpoint"/>, sent to).</summary>
    public string Region { get; set; } = "us-east-1";

    public string? Bucket { get; set; }

    /// <summary>A key prefix under which everything is stored (distribution's <c>rootdirectory</c>).</summary>
    public string? Prefix { get; set; }

    /// <summary>Static credentials; when both are unset the AWS SDK's default chain applies
    /// (environment, profile, web identity, instance or container role).</summary>
    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>Path-style addressing (<c>endpoint/bucket/key</c>), which most S3-compatible
    /// services need; AWS itself prefers virtual-hosted style.</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary><c>WHEN_SUPPORTED</c> (the AWS SDK's default: a checksum on every upload, sent as a
    /// trailer) or <c>WHEN_REQUIRED</c> (only where an operation demands one), which services that do
    /// not know trailing checksums need, Ceph RGW among them.</summary>
    public string ChecksumMode { get; set; } = WhenSupported;

    /// <summary>Blob downloads are answered with a redirect to a short-lived presigned URL, so the
    /// bytes flow from the bucket straight to the client.</summary>
    public bool Redirect { get; set; }

    /// <summary>How long a presigned redirect URL stays valid.</summary>
    public TimeSpan RedirectLifetime { get; set; } = TimeSpan.FromMinutes(20);

    public const string WhenSupported = "WHEN_SUPPORTED";
    public const string WhenRequired = "WHEN_REQUIRED";

    /// <summary>Every problem with these settings, so start-up can report them all at once.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Bucket))
        {
            yield return "Storage:S3:Bucket must name a bucket";
        }
        else if (Bucket.Length is < 3 or > 63 || !Bucket.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-'))
        {
            yield return $"Storage:S3:Bucket '{Bucket}' is not a bucket name (3-63 lowercase letters, digits, dots and hyphens)";
        }
        if (Endpoint is not null && (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            yield return $"Storage:S3:Endpoint '{Endpoint}' must be an absolute http:// or https:// URL";
        }
        if (string.IsNullOrWhiteSpace(Region))
        {
            yield return "Storage:S3:Region must name a region (any name an S3-compatible service accepts, e.g. us-east-1)";
        }
        if (string.IsNullOrEmpty(AccessKey) != string.IsNullOrEmpty(SecretKey))
        {
            yield return "Storage:S3:AccessKey and Storage:S3:SecretKey must be given together (or neither, for the AWS default credentials)";
        }
        if (!string.Equals(ChecksumMode, WhenSupported, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(ChecksumMode, WhenRequired, StringComparison.OrdinalIgnoreCase))
        {
            yield return $"Storage:S3:ChecksumMode '{ChecksumMode}' must be {WhenSupported} or {WhenRequired}";
        }
        if (Prefix is not null && !S3KeyLayout.IsValidPrefix(Prefix))
        {
            yield return $"Storage:S3:Prefix '{Prefix}' must be '/'-separated names without '.', '..' or empty parts";
        }
        if (RedirectLifetime < TimeSpan.FromMinutes(1) || RedirectLifetime > TimeSpan.FromDays(7))
        {
            yield return "Storage:S3:RedirectLifetime must be between one minute and seven days (the longest a presigned URL may last)";
        }
    }
}
