namespace Wharf.Configuration;

/// <summary>Limits that keep one client from exhausting the server (configuration section <c>Limits</c>).</summary>
public sealed class LimitOptions
{
    public const string Section = "Limits";

    /// <summary>All request headers together, in bytes (tokens are the largest legitimate ones).</summary>
    public int MaxRequestHeaderBytes { get; set; } = 32 * 1024;

    /// <summary>Upload requests (POST, PATCH, PUT of blobs) one client address may have in flight.</summary>
    public int MaxConcurrentUploadsPerClient { get; set; } = 32;

    /// <summary>An upload session not completed within this time is discarded with its bytes.</summary>
    public TimeSpan UploadSessionMaxAge { get; set; } = TimeSpan.FromHours(24);

    public IEnumerable<string> Validate()
    {
        if (MaxRequestHeaderBytes < 8 * 1024)
        {
            yield return "Limits:MaxRequestHeaderBytes must be at least 8192";
        }
        if (MaxConcurrentUploadsPerClient < 1)
        {
            yield return "Limits:MaxConcurrentUploadsPerClient must be at least 1";
        }
        if (UploadSessionMaxAge < TimeSpan.FromMinutes(1))
        {
            yield return "Limits:UploadSessionMaxAge must be at least one minute";
        }
    }
}
