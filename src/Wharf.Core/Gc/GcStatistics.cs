namespace Wharf.Gc;

/// <summary>What garbage collection has done since this process started: what an operator sees
/// in the admin endpoint, the logs and (later) the metrics. Thread-safe.</summary>
public sealed class GcStatistics
{
    private long _reviews;
    private long _blobsDeleted;
    private long _bytesFreed;
    private long _linksRemoved;
    private long _manifestsDeleted;
    private long _uploadsPurged;
    private long _lastPassTicks;

    public long Reviews => Interlocked.Read(ref _reviews);
    public long BlobsDeleted => Interlocked.Read(ref _blobsDeleted);
    public long BytesFreed => Interlocked.Read(ref _bytesFreed);
    public long LinksRemoved => Interlocked.Read(ref _linksRemoved);
    public long ManifestsDeleted => Interlocked.Read(ref _manifestsDeleted);
    public long UploadsPurged => Interlocked.Read(ref _uploadsPurged);

    /// <summary>When the last pass over due reviews ended; null before the first.</summary>
    public DateTimeOffset? LastPass => Interlocked.Read(ref _lastPassTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public void Add(GcPassResult pass, DateTimeOffset endedAt)
    {
        Interlocked.Add(ref _reviews, pass.Reviews);
        Interlocked.Add(ref _blobsDeleted, pass.BlobsDeleted);
        Interlocked.Add(ref _bytesFreed, pass.BytesFreed);
        Interlocked.Add(ref _linksRemoved, pass.LinksRemoved);
        Interlocked.Add(ref _manifestsDeleted, pass.ManifestsDeleted);
        Interlocked.Exchange(ref _lastPassTicks, endedAt.UtcTicks);
    }

    public void AddUploadsPurged(long count) => Interlocked.Add(ref _uploadsPurged, count);
}

/// <summary>What one pass did.</summary>
public sealed class GcPassResult
{
    public long Reviews { get; set; }
    public long BlobsDeleted { get; set; }
    public long BytesFreed { get; set; }
    public long LinksRemoved { get; set; }
    public long ManifestsDeleted { get; set; }

    /// <summary>The pass stopped at its time limit: more may be due.</summary>
    public bool More { get; set; }

    public void Add(GcPassResult other)
    {
        Reviews += other.Reviews;
        BlobsDeleted += other.BlobsDeleted;
        BytesFreed += other.BytesFreed;
        LinksRemoved += other.LinksRemoved;
        ManifestsDeleted += other.ManifestsDeleted;
    }
}
