namespace Wharf.Gc;

/// <summary>The fixed times of garbage collection; the operator's are in the server's GcOptions.</summary>
public static class GcRules
{
    /// <summary>How long a candidate waits before review unless configured (Gc:ReviewDelay): time for a
    /// client to push the manifest that references a blob it has just uploaded.</summary>
    public static readonly TimeSpan DefaultReviewDelay = TimeSpan.FromHours(24);

    /// <summary>A recorded deletion older than this was left by a process that died between the
    /// metadata and the bytes: nobody is deleting those bytes now. Deleting a file or an object
    /// takes far less.</summary>
    public static readonly TimeSpan StaleDeletion = TimeSpan.FromMinutes(1);

    /// <summary>A blob that an upload claims is looked at again no sooner than this.</summary>
    public static readonly TimeSpan ClaimedRecheck = TimeSpan.FromMinutes(1);
}
