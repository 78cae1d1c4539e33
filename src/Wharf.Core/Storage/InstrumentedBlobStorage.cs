using Wharf.Diagnostics;

namespace Wharf.Storage;

/// <summary>
/// A blob storage that times every operation (<c>wharf_storage_operation_duration_seconds</c>)
/// and, when tracing is on, gives each its own span. Opening a read or a writer is timed, not the
/// streaming that follows, and local-file lookups (zero-copy sends) pass straight through. Wraps
/// the real storage only when metrics or tracing are on.
/// </summary>
public sealed class InstrumentedBlobStorage(IBlobStorage inner) : IBlobStorage, IAbandonedWrites, IDisposable
{
    /// <summary>The storage this one times.</summary>
    public IBlobStorage Inner => inner;

    public async Task<long?> GetSizeAsync(string path, CancellationToken cancellationToken)
    {
        using var scope = Begin("GetSize");
        return await inner.GetSizeAsync(path, cancellationToken);
    }

    public async Task<Stream?> OpenReadAsync(string path, long offset, CancellationToken cancellationToken)
    {
        using var scope = Begin("OpenRead");
        return await inner.OpenReadAsync(path, offset, cancellationToken);
    }

    public async Task<IBlobWriter> OpenAppendWriterAsync(string path, CancellationToken cancellationToken)
    {
        using var scope = Begin("OpenAppendWriter");
        return await inner.OpenAppendWriterAsync(path, cancellationToken);
    }

    public async Task<MoveResult> MoveAsync(string sourcePath, string destinationPath, CancellationToken cancellationToken)
    {
        using var scope = Begin("Move");
        return await inner.MoveAsync(sourcePath, destinationPath, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string path, CancellationToken cancellationToken)
    {
        using var scope = Begin("Delete");
        return await inner.DeleteAsync(path, cancellationToken);
    }

    public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

    public string? TryGetLocalFile(string path) => inner.TryGetLocalFile(path);

    public async Task<Uri?> GetRedirectUrlAsync(string path, CancellationToken cancellationToken)
    {
        using var scope = Begin("GetRedirectUrl");
        return await inner.GetRedirectUrlAsync(path, cancellationToken);
    }

    /// <summary>Passes the upload purge's question on when the real storage can leave partial
    /// writes behind; otherwise there are none.</summary>
    public Task<int> DiscardBegunBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        inner is IAbandonedWrites abandoned ? abandoned.DiscardBegunBeforeAsync(cutoff, cancellationToken) : Task.FromResult(0);

    public void Dispose() => (inner as IDisposable)?.Dispose();

    private static WharfTelemetry.OperationScope Begin(string operation) =>
        WharfTelemetry.Begin(WharfTelemetry.StorageDuration, "storage", operation);
}
