namespace Wharf.Storage;

/// <summary>
/// The byte-oriented seam every storage backend implements (after CNCF distribution's storage
/// driver). Paths are relative, '/'-separated keys built only by <see cref="StoragePaths"/> from
/// validated names and digests; a backend never interprets them beyond mapping them to its keys.
/// </summary>
public interface IBlobStorage
{
    /// <summary>Size of the object at <paramref name="path"/>, or null when it does not exist.</summary>
    Task<long?> GetSizeAsync(string path, CancellationToken cancellationToken);

    /// <summary>Opens the object for reading from <paramref name="offset"/>; null when it does not exist.</summary>
    Task<Stream?> OpenReadAsync(string path, long offset, CancellationToken cancellationToken);

    /// <summary>Opens a writer that appends to the object (creating it when absent). What the writer
    /// adds becomes part of the object only when it is committed; an uncommitted writer leaves
    /// the object as it was.</summary>
    Task<IBlobWriter> OpenAppendWriterAsync(string path, CancellationToken cancellationToken);

    /// <summary>Moves an object into place atomically and durably. When the destination already
    /// exists (content-addressed storage: same bytes) the source is dropped instead.</summary>
    Task<MoveResult> MoveAsync(string sourcePath, string destinationPath, CancellationToken cancellationToken);

    /// <summary>Deletes an object or everything under a prefix; false when nothing was there. As in
    /// object storage, a prefix exists only while something is under it: nothing empty is left behind.</summary>
    Task<bool> DeleteAsync(string path, CancellationToken cancellationToken);

    /// <summary>The names of the direct children of a prefix (objects and sub-prefixes).</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>A local file holding the object, when the backend has one, so the HTTP layer can
    /// send it with zero copies; null otherwise.</summary>
    string? TryGetLocalFile(string path);

    /// <summary>A short-lived URL the client may fetch the object from directly (an object store's
    /// presigned GET), when the backend offers one and is configured to; null otherwise, and by
    /// default. The object is assumed to exist.</summary>
    Task<Uri?> GetRedirectUrlAsync(string path, CancellationToken cancellationToken) => Task.FromResult<Uri?>(null);
}

public enum MoveResult
{
    Moved,
    DestinationExisted,
    SourceMissing,
}

/// <summary>Appends bytes to one object. Disposing without <see cref="CommitAsync"/> discards what
/// this writer appended.</summary>
public interface IBlobWriter : IAsyncDisposable
{
    /// <summary>The object's size including what this writer has appended so far.</summary>
    long Size { get; }

    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Makes the appended bytes part of the object.</summary>
    Task CommitAsync(CancellationToken cancellationToken);
}
