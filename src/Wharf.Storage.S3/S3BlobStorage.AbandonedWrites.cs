using Amazon.S3.Model;
using Wharf.Storage;

namespace Wharf.Storage.S3;

public sealed partial class S3BlobStorage : IAbandonedWrites
{
    /// <summary>Aborts the multipart uploads of Wharf's own staging keys (upload data, its segments
    /// and compose intermediates, all under <c>repositories/&lt;name&gt;/_uploads/</c>) begun before
    /// <paramref name="cutoff"/>: what a writer killed mid-part leaves (a live writer's upload lasts
    /// one request). Anything else in the bucket, another application's or outside the prefix, is
    /// left alone. (Distribution's S3 driver keeps its uploads at the same keys: stop registry:2
    /// before Wharf serves its bucket.)</summary>
    public async Task<int> DiscardBegunBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var aborted = 0;
        var repositories = _keys.Children(StoragePaths.Root + "/repositories");
        var request = new ListMultipartUploadsRequest { BucketName = _bucket.Name, Prefix = repositories };
        while (true)
        {
            var page = await _bucket.Client.ListMultipartUploadsAsync(request, cancellationToken);
            foreach (var upload in page.MultipartUploads ?? [])
            {
                if (upload.Key.Contains("/_uploads/", StringComparison.Ordinal)
                    && upload.Initiated is { } initiated && new DateTimeOffset(initiated.ToUniversalTime(), TimeSpan.Zero) < cutoff)
                {
                    await _bucket.Client.AbortMultipartUploadAsync(_bucket.Name, upload.Key, upload.UploadId, cancellationToken);
                    aborted++;
                }
            }
            if (page.IsTruncated != true)
            {
                return aborted;
            }
            request.KeyMarker = page.NextKeyMarker;
            request.UploadIdMarker = page.NextUploadIdMarker;
        }
    }
}
