namespace Wharf.Storage;

/// <summary>
/// A storage whose writers can leave invisible partial writes behind when their process dies
/// mid-write (S3 multipart uploads: they hold space and cost money, but no listing shows them).
/// The upload purge asks it to discard those begun before a cutoff, when no live writer can still
/// own them.
/// </summary>
public interface IAbandonedWrites
{
    /// <summary>Discards partial writes begun before <paramref name="cutoff"/>; returns how many.</summary>
    Task<int> DiscardBegunBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);
}
