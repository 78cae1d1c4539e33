using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Wharf.Distribution;
using Wharf.Registry;
using Wharf.Storage;

namespace Wharf.Proxy;

/// <summary>
/// Fetches of uncached blobs from upstreams, one per digest however many clients ask for it at
/// once. The bytes go to a spool file as they arrive, hashed on the way, and the clients are sent
/// them from there; a second task copies the spool into storage as a staged upload, which is
/// committed like any upload only when the digest matched. A wrong digest, a short body or a cut
/// connection leaves nothing behind. Fetches run to their end even if every client leaves: the
/// next pull finds the blob cached.
/// </summary>
/// <remarks>
/// The spool decouples the clients from the storage: the storage's writes are paced to the disk
/// (write-behind, so the final fsync is short), the spool's are not, so clients get the blob at
/// the upstream's speed while the durable copy follows. The spool is deleted when the fetch and
/// its readers are done, usually before its pages ever reach the disk.
/// </remarks>
internal sealed partial class BlobFetches(IBlobStorage storage, UploadService uploads, IOptionsMonitor<ProxyOptions> options, ILogger<BlobFetches> logger)
{
    private const int ChunkSize = 256 * 1024;
    private const int StoreChunkSize = 1024 * 1024;

    private readonly ConcurrentDictionary<Digest, BlobFetch> _inFlight = new();

    /// <summary>The fetch of <paramref name="digest"/> under way, or a new one; the caller holds it
    /// and must <see cref="BlobFetch.Release"/> it.</summary>
    public BlobFetch Join(ProxiedRepository repository, Digest digest)
    {
        while (true)
        {
            if (_inFlight.TryGetValue(digest, out var running) && running.TryHold())
            {
                return running;
            }
            var fetch = new BlobFetch(digest, repository);
            if (_inFlight.TryAdd(digest, fetch))
            {
                fetch.TryHold();
                _ = Task.Run(() => RunAsync(fetch));
                return fetch;
            }
        }
    }

    private async Task RunAsync(BlobFetch fetch)
    {
        var repository = fetch.Repository;
        var upstream = repository.Upstream;
        var digest = fetch.Digest;
        var id = UploadId.New();
        HttpResponseMessage? response = null;
        IBlobWriter? writer = null;
        Task<long>? storing = null;
        using var stopStoring = new CancellationTokenSource();
        try
        {
            response = await upstream.SendAsync(HttpMethod.Get, repository.Remote, $"blobs/{digest}", null, HttpCompletionOption.ResponseHeadersRead, CancellationToken.None);
            upstream.EnsureFound(response, () => ProxyErrors.Explained(ErrorCode.BlobUnknown, $"blob {digest} is not in {repository.Remote} on upstream {upstream.Name}"));
            var length = response.Content.Headers.ContentLength;
            var staged = StoragePaths.UploadData(repository.Local, id);
            var spool = await OpenLocalStagingAsync(staged);
            if (spool is null)
            {
                // Object storage: the spool is a local file of its own, copied into storage as it fills.
                spool = OpenSpool();
                writer = await storage.OpenAppendWriterAsync(staged, CancellationToken.None);
                var staging = writer;
                storing = Task.Run(() => StoreAsync(fetch, staging, stopStoring.Token));
            }
            fetch.SetSpool(spool);
            fetch.Started.TrySetResult(length);

            using var hash = IncrementalHash.CreateHash(digest.Algorithm == Digest.Sha512 ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);
            var total = await ReceiveAsync(upstream, response, spool, hash, fetch);
            if (length is { } expected && total != expected)
            {
                throw new InvalidDataException($"the upstream announced {expected} bytes and sent {total}");
            }
            var actual = Digest.FromHash(digest.Algorithm, hash.GetCurrentHash());
            if (actual != digest)
            {
                ProxyMetrics.UpstreamError(upstream, "digest_mismatch");
                throw new InvalidDataException($"the bytes the upstream sent have digest {actual}");
            }
            // The clients have every byte, checked: they need not wait for the cache's durable copy.
            fetch.Verify();
            if (writer is not null && storing is not null)
            {
                await storing;
                await writer.CommitAsync(CancellationToken.None);
                await writer.DisposeAsync();
                writer = null;
            }
            // The move into place flushes the staged file to disk first, as for any upload.
            await uploads.CommitStagedAsync(repository.Local, id, digest, total);
            _inFlight.TryRemove(new KeyValuePair<Digest, BlobFetch>(digest, fetch));
            fetch.Succeed();
        }
        catch (Exception e)
        {
            var error = e switch
            {
                RegistryException registry => registry,
                UpstreamUnavailableException unavailable => ProxyErrors.Explained(ErrorCode.BlobUnknown, $"blob {digest} is not cached, and {unavailable.Message}"),
                _ => ProxyErrors.Explained(ErrorCode.BlobUnknown, $"fetching blob {digest} from upstream {upstream.Name} failed, nothing was cached: {e.Message}"),
            };
            if (e is not RegistryException)
            {
                var message = e.Message;
                Log.FetchFailed(logger, digest.ToString(), upstream.Name, message);
            }
            _inFlight.TryRemove(new KeyValuePair<Digest, BlobFetch>(digest, fetch));
            fetch.Fail(error);
        }
        finally
        {
            await stopStoring.CancelAsync();
            if (storing is not null)
            {
                await ((Task)storing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            if (writer is not null)
            {
                await writer.DisposeAsync(); // uncommitted: what it wrote is gone
            }
            await storage.DeleteAsync(StoragePaths.UploadDirectory(repository.Local, id), CancellationToken.None);
            response?.Dispose();
            fetch.Release();
        }
    }

    /// <summary>
    /// With storage on a local disk, the staged upload file itself, open for writing and reading:
    /// the fetch writes it at the upstream's pace (not through the storage's writer, which keeps
    /// to the disk's pace so that an upload's final fsync is short) and the move into place
    /// flushes it. Null for storage without local files.
    /// </summary>
    private async Task<Microsoft.Win32.SafeHandles.SafeFileHandle?> OpenLocalStagingAsync(string staged)
    {
        await using (var create = await storage.OpenAppendWriterAsync(staged, CancellationToken.None))
        {
            await create.CommitAsync(CancellationToken.None); // an empty file (or object) to start from
        }
        return storage.TryGetLocalFile(staged) is { } local
            ? File.OpenHandle(local, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous)
            : null;
    }

    /// <summary>A temporary file of this fetch's own, removed when the last reader lets go of it.</summary>
    private Microsoft.Win32.SafeHandles.SafeFileHandle OpenSpool()
    {
        var directory = options.CurrentValue.SpoolDirectory is { Length: > 0 } configured ? configured : Path.GetTempPath();
        return File.OpenHandle(Path.Combine(directory, $"wharf-proxy-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
    }

    /// <summary>Receives the body into the spool and the hash, handing each chunk to the readers
    /// once the spool holds it.</summary>
    /// <remarks>
    /// Two stages overlap: while one chunk is hashed and written to the spool (on a pool thread),
    /// the next is received. Chunks are processed one at a time and in order.
    /// </remarks>
    private async Task<long> ReceiveAsync(UpstreamRegistry upstream, HttpResponseMessage response, Microsoft.Win32.SafeHandles.SafeFileHandle spool, IncrementalHash hash, BlobFetch fetch)
    {
        var idle = options.CurrentValue.ResponseTimeout;
        var processing = Task.CompletedTask;
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync();
            long total = 0;
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                int filled;
                bool ended;
                try
                {
                    (filled, ended) = await FillAsync(upstream, body, buffer, idle);
                    await processing;
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }
                if (filled == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return total;
                }
                var offset = total;
                total += filled;
                ProxyMetrics.UpstreamBytes(upstream, filled);
                processing = Task.Run(async () =>
                {
                    var spooled = RandomAccess.WriteAsync(spool, buffer.AsMemory(0, filled), offset, CancellationToken.None);
                    hash.AppendData(buffer, 0, filled);
                    await spooled;
                    fetch.Append(buffer, filled);
                });
                if (ended)
                {
                    await processing;
                    return total;
                }
            }
        }
        finally
        {
            // The hash and the spool are the caller's: nothing may still use them when it goes on.
            await processing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Copies the spool into storage as the bytes arrive, until every verified byte is there.</summary>
    private static async Task<long> StoreAsync(BlobFetch fetch, IBlobWriter writer, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(StoreChunkSize);
        try
        {
            long stored = 0;
            while (true)
            {
                var available = fetch.Available;
                if (stored < available)
                {
                    var wanted = (int)Math.Min(StoreChunkSize, available - stored);
                    var read = fetch.CopyRecent(stored, buffer.AsSpan(0, wanted));
                    if (read == 0)
                    {
                        read = await RandomAccess.ReadAsync(fetch.Spool, buffer.AsMemory(0, wanted), stored, cancellationToken);
                    }
                    if (read == 0)
                    {
                        throw new InvalidDataException("the spool is shorter than what arrived");
                    }
                    await writer.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    stored += read;
                    continue;
                }
                if (fetch.Verified.Task.IsCompleted)
                {
                    await fetch.Verified.Task; // a failed fetch ends the copy with its error
                    return stored;
                }
                await fetch.WaitBeyondAsync(stored, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads until the buffer is full or the body ends.</summary>
    private static async Task<(int Filled, bool Ended)> FillAsync(UpstreamRegistry upstream, Stream body, byte[] buffer, TimeSpan idle)
    {
        // An upstream that stops sending mid-blob must not keep every waiting client hanging.
        using var stalled = new CancellationTokenSource(idle);
        var filled = 0;
        try
        {
            while (filled < ChunkSize)
            {
                var read = await body.ReadAsync(buffer.AsMemory(filled, ChunkSize - filled), stalled.Token);
                if (read == 0)
                {
                    return (filled, true);
                }
                filled += read;
            }
            return (filled, false);
        }
        catch (OperationCanceledException) when (stalled.IsCancellationRequested)
        {
            throw new UpstreamUnavailableException(upstream.Name, $"sent nothing for {idle.TotalSeconds:0} s in the middle of the blob");
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new UpstreamUnavailableException(upstream.Name, $"broke the transfer off ({e.Message})");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Fetching blob {Digest} from upstream {Upstream} failed; nothing was cached: {Reason}")]
        public static partial void FetchFailed(ILogger logger, string digest, string upstream, string reason);
    }
}
