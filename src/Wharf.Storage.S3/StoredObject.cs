namespace Wharf.Storage.S3;

/// <summary>A stretch of an object's bytes held by one S3 object.</summary>
internal readonly record struct Piece(string Key, long Start, long Length)
{
    public long End => Start + Length;
}

/// <summary>
/// What a storage path holds: a plain object at its key, or (while it is being appended to) a chain
/// of segments. The plain object wins whenever it exists: a writer that turns a plain object into
/// segments makes them complete first and deletes the plain object last, so that delete is the
/// instant the new bytes appear, and segments left beside a plain object by a writer that died
/// before it are ignored (and cleared by the next writer).
/// </summary>
internal sealed record StoredObject(bool IsPlain, IReadOnlyList<Piece> Pieces)
{
    public long Size => Pieces.Count == 0 ? 0 : Pieces[^1].End;

    public Piece Last => Pieces[^1];

    /// <summary>Null when nothing is stored at <paramref name="path"/>. One HEAD for a plain object
    /// (every blob); a HEAD and a LIST for one being appended to.</summary>
    public static async Task<StoredObject?> FindAsync(S3Bucket bucket, S3KeyLayout keys, string path, CancellationToken cancellationToken)
    {
        var key = keys.Object(path);
        if (await bucket.HeadSizeAsync(key, cancellationToken) is { } size)
        {
            return new StoredObject(true, [new Piece(key, 0, size)]);
        }
        var segments = await ListSegmentsAsync(bucket, keys, path, cancellationToken);
        return segments.Count == 0 ? null : new StoredObject(false, segments);
    }

    /// <summary>The segments under a path, in offset order, checked to join up from offset 0.</summary>
    public static async Task<List<Piece>> ListSegmentsAsync(S3Bucket bucket, S3KeyLayout keys, string path, CancellationToken cancellationToken)
    {
        var prefix = keys.Segments(path);
        var segments = new List<Piece>();
        await foreach (var item in bucket.ListAsync(prefix, cancellationToken))
        {
            if (S3KeyLayout.TryParseSegmentStart(item.Key, prefix, out var start))
            {
                segments.Add(new Piece(item.Key, start, item.Size ?? 0));
            }
        }
        // Keys list in offset order (fixed-width offsets); a writer replaces a segment only with a
        // longer one at the same offset, and deletes go from the last segment down, so a gap or an
        // overlap means something other than Wharf changed the bucket.
        long expected = 0;
        foreach (var segment in segments)
        {
            if (segment.Start != expected)
            {
                throw new InvalidDataException($"the segments of '{path}' do not join up: one starts at {segment.Start}, where {expected} was expected");
            }
            expected = segment.End;
        }
        return segments;
    }
}
