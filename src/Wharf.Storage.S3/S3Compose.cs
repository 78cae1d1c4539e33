using Amazon.S3;
using Amazon.S3.Model;

namespace Wharf.Storage.S3;

/// <summary>Builds an object from pieces of others inside the bucket (no byte passes through Wharf):
/// CopyObject for one piece of up to 5 GiB, otherwise a multipart upload of UploadPartCopy ranges.</summary>
internal static class S3Compose
{
    // Copies run side by side: each is a request the service works on for a while.
    private const int ParallelCopies = 4;

    /// <summary>Writes the pieces, in order, as the object at <paramref name="destination"/>. Every
    /// piece but the last must be at least <see cref="S3Limits.MinPartSize"/> long, which the
    /// writers guarantee for the segments they leave.</summary>
    /// <param name="scratch">A key prefix for intermediate objects, should the pieces need more
    /// parts than one upload may have (they are deleted before this returns).</param>
    public static async Task ComposeAsync(S3Bucket bucket, IReadOnlyList<Piece> pieces, string destination, string scratch, CancellationToken cancellationToken, int maxParts = S3Limits.MaxParts)
    {
        var client = bucket.Client;
        if (pieces.Count == 1 && pieces[0].Length <= S3Limits.MaxCopySize)
        {
            await client.CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = bucket.Name,
                SourceKey = pieces[0].Key,
                DestinationBucket = bucket.Name,
                DestinationKey = destination,
            }, cancellationToken);
            return;
        }
        var ranges = Ranges(pieces);
        if (ranges.Count == 0)
        {
            await bucket.PutAsync(destination, [], 0, cancellationToken);
            return;
        }
        if (ranges.Count > maxParts)
        {
            await ComposeInStagesAsync(bucket, pieces, destination, scratch, maxParts, cancellationToken);
            return;
        }
        var upload = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket.Name, Key = destination }, cancellationToken);
        try
        {
            var parts = new PartETag[ranges.Count];
            var options = new ParallelOptions { MaxDegreeOfParallelism = ParallelCopies, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(Enumerable.Range(0, ranges.Count), options, async (i, token) =>
            {
                var range = ranges[i];
                var copied = await client.CopyPartAsync(new CopyPartRequest
                {
                    SourceBucket = bucket.Name,
                    SourceKey = range.Key,
                    DestinationBucket = bucket.Name,
                    DestinationKey = destination,
                    UploadId = upload.UploadId,
                    PartNumber = i + 1,
                    FirstByte = range.First,
                    LastByte = range.Last,
                }, token);
                parts[i] = new PartETag(i + 1, copied.ETag);
            });
            await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = bucket.Name,
                Key = destination,
                UploadId = upload.UploadId,
                PartETags = [.. parts],
            }, cancellationToken);
        }
        catch
        {
            await AbortQuietlyAsync(bucket, destination, upload.UploadId);
            throw;
        }
    }

    /// <summary>More ranges than one upload may have parts (an upload sent in over 10,000 chunks of
    /// 5 MiB or more): runs of pieces are composed into intermediate objects first, which are then
    /// composed in turn. Each intermediate but the last holds a piece of at least 5 MiB, so it can
    /// be a part itself.</summary>
    private static async Task ComposeInStagesAsync(S3Bucket bucket, IReadOnlyList<Piece> pieces, string destination, string scratch, int maxParts, CancellationToken cancellationToken)
    {
        var stages = new List<Piece>();
        try
        {
            var run = new List<Piece>();
            var runRanges = 0;
            foreach (var piece in pieces)
            {
                var count = Ranges([piece]).Count;
                if (runRanges + count > maxParts && run.Count > 0)
                {
                    await ComposeStageAsync(run);
                    run.Clear();
                    runRanges = 0;
                }
                run.Add(piece);
                runRanges += count;
            }
            await ComposeStageAsync(run);
            if (stages.Count >= pieces.Count)
            {
                throw new IOException($"{pieces.Count} pieces cannot be composed in parts of at most {S3Limits.MaxCopySize} bytes, {maxParts} to an upload");
            }
            await ComposeAsync(bucket, stages, destination, scratch, cancellationToken, maxParts);
        }
        finally
        {
            await bucket.DeleteAsync(stages.Select(s => s.Key), CancellationToken.None);
        }

        async Task ComposeStageAsync(List<Piece> run)
        {
            // Distinct per level: a stage's key is never one of the pieces it is made from.
            var key = $"{scratch}{stages.Count:D5}-{Guid.NewGuid():N}";
            await ComposeAsync(bucket, run, key, scratch, cancellationToken, maxParts);
            var start = stages.Count == 0 ? 0 : stages[^1].End;
            stages.Add(new Piece(key, start, run.Sum(p => p.Length)));
        }
    }

    /// <summary>Abandons a multipart upload. Called on the way out of a failure, so its own failure
    /// (the service unreachable) is not allowed to hide the first; a bucket lifecycle rule that aborts
    /// incomplete uploads is the backstop.</summary>
    public static async Task AbortQuietlyAsync(S3Bucket bucket, string key, string uploadId)
    {
        try
        {
            await bucket.Client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket.Name, Key = key, UploadId = uploadId }, CancellationToken.None);
        }
        catch (Exception e) when (e is AmazonS3Exception or HttpRequestException or IOException or TaskCanceledException)
        {
        }
    }

    /// <summary>Byte ranges (inclusive, within each piece's own object) of at most 5 GiB. A piece
    /// longer than that is cut into equal ranges, each far above the 5 MiB minimum.</summary>
    internal static List<(string Key, long First, long Last)> Ranges(IReadOnlyList<Piece> pieces)
    {
        var ranges = new List<(string, long, long)>();
        foreach (var piece in pieces)
        {
            if (piece.Length == 0)
            {
                continue;
            }
            var count = (piece.Length + S3Limits.MaxCopySize - 1) / S3Limits.MaxCopySize;
            var size = (piece.Length + count - 1) / count;
            for (long first = 0; first < piece.Length; first += size)
            {
                ranges.Add((piece.Key, first, Math.Min(first + size, piece.Length) - 1));
            }
        }
        return ranges;
    }
}
