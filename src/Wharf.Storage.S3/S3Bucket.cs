using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;

namespace Wharf.Storage.S3;

/// <summary>The few S3 operations the adapter is built from, on one bucket, with the SDK's v4
/// habits smoothed over (empty collections come back as null; a missing key is an exception).</summary>
internal sealed class S3Bucket(IAmazonS3 client, string name)
{
    /// <summary>DeleteObjects takes at most this many keys a request.</summary>
    public const int DeleteBatch = 1000;

    public IAmazonS3 Client => client;

    public string Name => name;

    /// <summary>The size of the object at <paramref name="key"/>, or null when there is none.</summary>
    public async Task<long?> HeadSizeAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = name, Key = key }, cancellationToken);
            return head.ContentLength;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Every object whose key starts with <paramref name="prefix"/>, in key order.</summary>
    public async IAsyncEnumerable<S3Object> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = name, Prefix = prefix };
        do
        {
            var page = await client.ListObjectsV2Async(request, cancellationToken);
            foreach (var item in page.S3Objects ?? [])
            {
                yield return item;
            }
            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);
    }

    /// <summary>The direct children of <paramref name="prefix"/> (which ends with '/'), objects and
    /// sub-prefixes together, in key order, each as the rest of its key after the prefix (a
    /// sub-prefix without its trailing '/').</summary>
    public async IAsyncEnumerable<(string Name, bool IsPrefix)> ListChildrenAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = name, Prefix = prefix, Delimiter = "/" };
        do
        {
            var page = await client.ListObjectsV2Async(request, cancellationToken);
            // A page holds objects and rolled-up prefixes in two lists, each in key order: merged
            // they give the order the keys have in the bucket, which the caller relies on.
            var objects = page.S3Objects ?? [];
            var prefixes = page.CommonPrefixes ?? [];
            int o = 0, p = 0;
            while (o < objects.Count || p < prefixes.Count)
            {
                if (p == prefixes.Count || (o < objects.Count && string.CompareOrdinal(objects[o].Key, prefixes[p]) < 0))
                {
                    yield return (objects[o++].Key[prefix.Length..], false);
                }
                else
                {
                    yield return (prefixes[p++][prefix.Length..^1], true);
                }
            }
            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);
    }

    /// <summary>Deletes keys in batches, in the order given (a batch at a time).</summary>
    public async Task DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        foreach (var batch in keys.Chunk(DeleteBatch))
        {
            var response = await client.DeleteObjectsAsync(new DeleteObjectsRequest
            {
                BucketName = name,
                Objects = [.. batch.Select(k => new KeyVersion { Key = k })],
                Quiet = true,
            }, cancellationToken);
            if (response.DeleteErrors is { Count: > 0 } errors)
            {
                throw new IOException($"S3 did not delete {errors.Count} objects, e.g. {errors[0].Key}: {errors[0].Code} {errors[0].Message}");
            }
        }
    }

    /// <summary>A byte range of an object, streamed; the caller disposes the response.</summary>
    public Task<GetObjectResponse> GetAsync(string key, long first, long last, CancellationToken cancellationToken) =>
        client.GetObjectAsync(new GetObjectRequest { BucketName = name, Key = key, ByteRange = new ByteRange(first, last) }, cancellationToken);

    /// <summary>Writes the first <paramref name="count"/> bytes of <paramref name="buffer"/> as the
    /// whole object.</summary>
    public async Task PutAsync(string key, byte[] buffer, int count, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(buffer, 0, count, writable: false);
        await client.PutObjectAsync(new PutObjectRequest { BucketName = name, Key = key, InputStream = body, AutoCloseStream = false }, cancellationToken);
    }
}
