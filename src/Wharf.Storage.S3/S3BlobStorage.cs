using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Wharf.Storage.S3;

/// <summary>
/// Blob storage in an S3 bucket. Each path is the key of the same name (under an optional prefix),
/// so blobs sit where CNCF distribution's S3 driver puts them. Objects grown by appends (chunked
/// uploads) are kept as segments until they are moved into place (see <see cref="S3AppendWriter"/>
/// and <see cref="StoredObject"/>); a move composes them into one plain object inside the bucket.
/// Nothing is ever held whole in memory: reads stream, writes go out part by part.
/// </summary>
public sealed partial class S3BlobStorage : IBlobStorage, IDisposable
{
    private readonly S3Bucket _bucket;
    private readonly S3KeyLayout _keys;
    private readonly int _partSize;
    private readonly TimeSpan? _redirectLifetime;
    private readonly bool _ownsClient;

    /// <summary>Storage on the bucket the options name, with a client of its own.</summary>
    public S3BlobStorage(S3StorageOptions options)
        : this(S3ClientFactory.Create(options), options.Bucket!, options.Prefix, options.Redirect ? options.RedirectLifetime : null, S3Limits.DefaultPartSize, ownsClient: true)
    {
    }

    /// <summary>Storage on <paramref name="bucket"/> through a client the caller owns.</summary>
    /// <param name="redirectLifetime">How long presigned redirect URLs last; null for no redirects.</param>
    public S3BlobStorage(IAmazonS3 client, string bucket, string? prefix, TimeSpan? redirectLifetime = null)
        : this(client, bucket, prefix, redirectLifetime, S3Limits.DefaultPartSize, ownsClient: false)
    {
    }

    internal S3BlobStorage(IAmazonS3 client, string bucket, string? prefix, TimeSpan? redirectLifetime, int partSize, bool ownsClient)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partSize, (int)S3Limits.MinPartSize);
        _bucket = new S3Bucket(client, bucket);
        _keys = new S3KeyLayout(prefix);
        _redirectLifetime = redirectLifetime;
        _partSize = partSize;
        _ownsClient = ownsClient;
    }

    /// <summary>Whether the bucket can be listed with these settings: the problem (no such bucket,
    /// endpoint unreachable, keys refused), for start-up to report, or null.</summary>
    public async Task<string?> CheckAccessAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _bucket.Client.ListObjectsV2Async(new ListObjectsV2Request
            {
                BucketName = _bucket.Name,
                Prefix = _keys.Children(StoragePaths.Root),
                MaxKeys = 1,
            }, cancellationToken);
            return null;
        }
        catch (AmazonServiceException e)
        {
            return $"Storage:S3: bucket '{_bucket.Name}' cannot be listed: {(int)e.StatusCode} {e.ErrorCode} {e.Message}".TrimEnd();
        }
        catch (Exception e) when (e is AmazonClientException or HttpRequestException or OperationCanceledException)
        {
            return $"Storage:S3: bucket '{_bucket.Name}' cannot be reached: {e.Message}";
        }
    }

    public async Task<long?> GetSizeAsync(string path, CancellationToken cancellationToken) =>
        (await StoredObject.FindAsync(_bucket, _keys, path, cancellationToken))?.Size;

    public async Task<Stream?> OpenReadAsync(string path, long offset, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var key = _keys.Object(path);
        // Blobs are plain objects: the GET that reads one is also the one that finds it.
        GetObjectResponse? response = null;
        try
        {
            response = await _bucket.Client.GetObjectAsync(new GetObjectRequest
            {
                BucketName = _bucket.Name,
                Key = key,
                ByteRange = offset > 0 ? new ByteRange($"bytes={offset}-") : null,
            }, cancellationToken);
            var size = offset + response.ContentLength;
            return new S3ReadStream(_bucket, [new Piece(key, 0, size)], offset, response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // Not a plain object (segments, or nothing), or an offset at or past its end.
            response?.Dispose();
        }
        var stored = await StoredObject.FindAsync(_bucket, _keys, path, cancellationToken);
        return stored is null ? null : new S3ReadStream(_bucket, stored.Pieces, offset);
    }

    public async Task<IBlobWriter> OpenAppendWriterAsync(string path, CancellationToken cancellationToken) =>
        await S3AppendWriter.OpenAsync(_bucket, _keys, path, _partSize, cancellationToken);

    public async Task<MoveResult> MoveAsync(string sourcePath, string destinationPath, CancellationToken cancellationToken)
    {
        var source = await StoredObject.FindAsync(_bucket, _keys, sourcePath, cancellationToken);
        if (source is null)
        {
            return MoveResult.SourceMissing;
        }
        var destination = _keys.Object(destinationPath);
        if (await _bucket.HeadSizeAsync(destination, cancellationToken) is not null)
        {
            // Content-addressed: the same bytes are already there.
            await DeleteObjectAsync(sourcePath, source, cancellationToken);
            return MoveResult.DestinationExisted;
        }
        // The copy appears at its key in one step, complete (CopyObject, CompleteMultipartUpload),
        // and S3 has it durably before it answers.
        // Intermediate objects, if any, go among the source's segments: hidden, and removed with it.
        await S3Compose.ComposeAsync(_bucket, source.Pieces, destination, _keys.Segments(sourcePath) + "compose-", cancellationToken);
        await DeleteObjectAsync(sourcePath, source, cancellationToken);
        return MoveResult.Moved;
    }

    public async Task<bool> DeleteAsync(string path, CancellationToken cancellationToken)
    {
        var key = _keys.Object(path);
        var head = _bucket.HeadSizeAsync(key, cancellationToken);
        var deleted = false;
        // Everything under the path taken as a prefix, a page at a time (bounded memory however
        // many there are), then the path's own segments from the last down (a delete cut short
        // leaves a shorter object, never one with a gap), then its plain object.
        await foreach (var batch in Batches(_bucket.ListAsync(_keys.Children(path), cancellationToken), cancellationToken))
        {
            await _bucket.DeleteAsync(batch, cancellationToken);
            deleted = true;
        }
        var segments = await StoredObject.ListSegmentsAsync(_bucket, _keys, path, cancellationToken);
        if (segments.Count > 0)
        {
            await _bucket.DeleteAsync(segments.Select(s => s.Key).Reverse(), cancellationToken);
            deleted = true;
        }
        if (await head is not null)
        {
            await _bucket.Client.DeleteObjectAsync(_bucket.Name, key, cancellationToken);
            deleted = true;
        }
        return deleted;
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Keys come in order, and an object 'x' sorts before its segment directory 'x~segments'
        // (and before anything else starting with 'x'): an object whose segments directory shows up
        // after it was already named is named once. Only names that are a prefix of the latest one
        // can still meet their segments, so the names remembered stay few.
        var named = new List<string>();
        await foreach (var (name, isPrefix) in _bucket.ListChildrenAsync(_keys.Children(prefix), cancellationToken))
        {
            named.RemoveAll(n => !name.StartsWith(n, StringComparison.Ordinal));
            if (isPrefix && name.EndsWith(S3KeyLayout.SegmentsSuffix, StringComparison.Ordinal))
            {
                var objectName = name[..^S3KeyLayout.SegmentsSuffix.Length];
                if (!named.Contains(objectName))
                {
                    yield return objectName;
                }
                continue;
            }
            if (!isPrefix)
            {
                named.Add(name);
            }
            yield return name;
        }
    }

    /// <summary>Never: S3 objects are not local files.</summary>
    public string? TryGetLocalFile(string path) => null;

    /// <summary>A presigned GET of the plain object, when redirects are on. Only whole objects are
    /// redirected to: the blobs a client downloads always are.</summary>
    public async Task<Uri?> GetRedirectUrlAsync(string path, CancellationToken cancellationToken)
    {
        if (_redirectLifetime is not { } lifetime)
        {
            return null;
        }
        var url = await _bucket.Client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = _bucket.Name,
            Key = _keys.Object(path),
            Verb = HttpVerb.GET,
            Expires = DateTime.UtcNow + lifetime,
            // The SDK signs https URLs unless told otherwise, even for an http:// endpoint.
            Protocol = _bucket.Client.Config.ServiceURL?.StartsWith("http://", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS,
        });
        return new Uri(url);
    }

    /// <summary>Deletes what one path holds (not what is under it): segments from the last down, then
    /// the plain object, which as long as it exists hides any segments.</summary>
    private async Task DeleteObjectAsync(string path, StoredObject stored, CancellationToken cancellationToken)
    {
        var segments = stored.IsPlain ? [] : stored.Pieces.Select(p => p.Key).Reverse();
        await _bucket.DeleteAsync(segments, cancellationToken);
        if (stored.IsPlain)
        {
            await _bucket.Client.DeleteObjectAsync(_bucket.Name, _keys.Object(path), cancellationToken);
        }
    }

    private static async IAsyncEnumerable<List<string>> Batches(IAsyncEnumerable<S3Object> objects, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var batch = new List<string>(S3Bucket.DeleteBatch);
        await foreach (var item in objects.WithCancellation(cancellationToken))
        {
            batch.Add(item.Key);
            if (batch.Count == S3Bucket.DeleteBatch)
            {
                yield return batch;
                batch = new List<string>(S3Bucket.DeleteBatch);
            }
        }
        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    public void Dispose()
    {
        if (_ownsClient)
        {
            _bucket.Client.Dispose();
        }
    }
}
