using Amazon.S3.Model;
using Wharf.Storage;

namespace Wharf.Storage.S3;

public sealed partial class S3BlobStorage : IAbandonedWrites
{
    /// <summary>Aborts the multipart uploads under this storage's prefix begun before
    /// <paramref name="cutoff"/>: what a writer killed mid-part leaves (a live writer's upload lasts
    /// one request). Those of other prefixes in the bucket are left alone.</summary>
    public async Task<int> DiscardBegunBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var aborted = 0;
        var request = new ListMultipartUploadsRequest { BucketName = _bucket.Name, Prefix = _keys.Prefix };
        while (true)
        {
            var page = await _bucket.Client.ListMultipartUploadsAsync(request, cancellationToken);
            foreach (var upload in page.MultipartUploads ?? [])
            {
                if (upload.Initiated is { } initiated && new DateTimeOffset(initiated.ToUniversalTime(), TimeSpan.Zero) < cutoff)
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
