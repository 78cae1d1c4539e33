using System.Collections.Concurrent;
using System.Security.Cryptography;
using Wharf.Distribution;
using Wharf.Events;
using Wharf.Gc;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Registry;

/// <summary>Where an upload stands: its id and how many bytes it holds.</summary>
public readonly record struct UploadStatus(UploadId Id, long Size)
{
    /// <summary>The spec's <c>Range</c> header value: the inclusive range of bytes received.</summary>
    public string RangeHeader => RangeOf(Size);

    // "0-0" for an empty upload is the registry convention clients expect.
    public static string RangeOf(long size) => size == 0 ? "0-0" : $"0-{size - 1}";
}

/// <summary>A blob that has been committed: its digest and size.</summary>
public readonly record struct CommittedBlob(Digest Digest, long Size);

/// <summary>
/// Blob uploads: monolithic, chunked and streamed. Bytes are hashed as they are written, in one
/// pass; the SHA-256 state of each session stays in memory between chunks and is rebuilt from
/// the stored bytes when it is missing (after a restart) or doubtful (after a failed chunk).
/// Chunks of one session are applied one at a time.
/// </summary>
public sealed class UploadService(IBlobStorage storage, IMetadataStore metadata, TimeProvider time, IRegistryEvents? events = null)
{
    private readonly IRegistryEvents _events = events ?? NoRegistryEvents.Instance;

    private readonly ConcurrentDictionary<UploadId, SessionState> _sessions = new();

    public async Task<UploadStatus> StartAsync(RepositoryName repository, CancellationToken cancellationToken)
    {
        var id = UploadId.New();
        await metadata.CreateUploadAsync(new UploadSession(id, repository, time.GetUtcNow()), cancellationToken);
        return new UploadStatus(id, 0);
    }

    public async Task<UploadStatus> GetStatusAsync(RepositoryName repository, string id, CancellationToken cancellationToken)
    {
        var session = await FindAsync(repository, id, cancellationToken);
        var size = await storage.GetSizeAsync(StoragePaths.UploadData(repository, session.Id), cancellationToken) ?? 0;
        return new UploadStatus(session.Id, size);
    }

    /// <summary>Appends a chunk (with <paramref name="range"/>) or a stream (without).</summary>
    public async Task<UploadStatus> AppendAsync(RepositoryName repository, string id, Stream body, ContentRange? range, long? contentLength, CancellationToken cancellationToken)
    {
        var (session, state) = await LockAsync(repository, id, cancellationToken);
        try
        {
            var size = await AppendLockedAsync(session, state, body, range, contentLength, cancellationToken);
            return new UploadStatus(session.Id, size);
        }
        finally
        {
            // Idle is measured from the end of the last request: a chunk may stream for a long time.
            state.LastUsed = time.GetUtcNow();
            state.Lock.Release();
        }
    }

    /// <summary>Completes an upload, with an optional last chunk, and commits the blob under
    /// <paramref name="expected"/> if the bytes match it.</summary>
    public async Task<CommittedBlob> CompleteAsync(RepositoryName repository, string id, Digest expected, Stream body, ContentRange? range, long? contentLength, CancellationToken cancellationToken)
    {
        var (session, state) = await LockAsync(repository, id, cancellationToken);
        try
        {
            var size = await AppendLockedAsync(session, state, body, range, contentLength, cancellationToken);
            var path = StoragePaths.UploadData(repository, session.Id);
            var actual = expected.Algorithm == Digest.Sha256
                ? Digest.FromHash(Digest.Sha256, state.Hash!.GetCurrentHash())
                : await HashStoredAsync(path, size, expected.Algorithm, cancellationToken);
            VerifyDigest(expected, actual);
            var blob = await CommitAsync(session, path, actual, size);
            await storage.DeleteAsync(StoragePaths.UploadDirectory(repository, session.Id), CancellationToken.None);
            Forget(session.Id, state);
            return blob;
        }
        finally
        {
            // Idle is measured from the end of the last request: a chunk may stream for a long time.
            state.LastUsed = time.GetUtcNow();
            state.Lock.Release();
        }
    }

    /// <summary>A whole blob in one request (<c>POST ?digest=</c>): staged, verified, committed.</summary>
    public async Task<CommittedBlob> UploadMonolithicAsync(RepositoryName repository, Digest expected, Stream body, CancellationToken cancellationToken)
    {
        // A single-request upload needs no session row: if the server dies mid-way, the staged
        // file is an orphan under _uploads that the upload purge removes.
        var id = UploadId.New();
        var path = StoragePaths.UploadData(repository, id);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashingCopy.AlgorithmFor(expected.Algorithm));
            long size;
            await using (var writer = await storage.OpenAppendWriterAsync(path, cancellationToken))
            {
                await HashingCopy.CopyAsync(body, writer, hash, cancellationToken);
                await writer.CommitAsync(cancellationToken);
                size = writer.Size;
            }
            VerifyDigest(expected, Digest.FromHash(expected.Algorithm, hash.GetCurrentHash()));
            return await CommitStagedAsync(repository, id, expected, size);
        }
        finally
        {
            await storage.DeleteAsync(StoragePaths.UploadDirectory(repository, id), CancellationToken.None);
        }
    }

    /// <summary>Puts a blob staged at <see cref="StoragePaths.UploadData"/> of <paramref name="id"/>,
    /// whose digest the caller has verified, in place and links it into the repository (a
    /// monolithic upload, a pull-through cache's fetch). The caller removes the staging directory.</summary>
    public async Task<CommittedBlob> CommitStagedAsync(RepositoryName repository, UploadId id, Digest digest, long size)
    {
        var session = new UploadSession(id, repository, time.GetUtcNow());
        try
        {
            return await CommitAsync(session, StoragePaths.UploadData(repository, id), digest, size);
        }
        catch
        {
            // The claim's row (if it was written) would otherwise wait for the upload purge.
            await metadata.DeleteUploadAsync(id, CancellationToken.None);
            throw;
        }
    }

    public async Task CancelAsync(RepositoryName repository, string id, CancellationToken cancellationToken)
    {
        var (session, state) = await LockAsync(repository, id, cancellationToken);
        try
        {
            await metadata.DeleteUploadAsync(session.Id, CancellationToken.None);
            await storage.DeleteAsync(StoragePaths.UploadDirectory(repository, session.Id), CancellationToken.None);
            Forget(session.Id, state);
        }
        finally
        {
            // Idle is measured from the end of the last request: a chunk may stream for a long time.
            state.LastUsed = time.GetUtcNow();
            state.Lock.Release();
        }
    }

    /// <summary>How long this process keeps the running hash of an upload that receives no chunk.
    /// With several replicas, an upload completed elsewhere leaves its state here; dropping an idle
    /// one costs at most re-reading that upload's bytes if it ever continues on this replica.</summary>
    public static readonly TimeSpan HashStateIdleLimit = TimeSpan.FromMinutes(15);

    /// <summary>Discards sessions started before <paramref name="cutoff"/>: their bytes and their rows.
    /// Returns how many were discarded.</summary>
    public async Task<int> PurgeStartedBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var purged = 0;
        while (true)
        {
            var stale = await metadata.ListUploadsStartedBeforeAsync(cutoff, 100, cancellationToken);
            foreach (var session in stale)
            {
                try
                {
                    await CancelAsync(session.Repository, session.Id.Value, cancellationToken);
                    purged++;
                }
                catch (RegistryException e) when (e.Code == ErrorCode.BlobUploadUnknown)
                {
                    // Completed or cancelled by its client meanwhile.
                }
            }
            if (stale.Count < 100)
            {
                return purged;
            }
        }
    }

    /// <summary>Forgets the running hashes of uploads that have received no chunk here since
    /// <paramref name="idleSince"/>. Returns how many were dropped.</summary>
    public int DropIdleHashStates(DateTimeOffset idleSince)
    {
        var dropped = 0;
        foreach (var (id, state) in _sessions)
        {
            // A state in use (its lock held) is never dropped under the request using it.
            if (state.LastUsed < idleSince && state.Lock.Wait(0))
            {
                try
                {
                    if (state.LastUsed < idleSince && _sessions.TryRemove(new KeyValuePair<UploadId, SessionState>(id, state)))
                    {
                        state.Reset();
                        dropped++;
                    }
                }
                finally
                {
                    state.Lock.Release();
                }
            }
        }
        return dropped;
    }

    private async Task<long> AppendLockedAsync(UploadSession session, SessionState state, Stream body, ContentRange? range, long? contentLength, CancellationToken cancellationToken)
    {
        var path = StoragePaths.UploadData(session.Repository, session.Id);
        await using var writer = await storage.OpenAppendWriterAsync(path, cancellationToken);
        var offset = writer.Size;
        if (range is { } r)
        {
            if (r.Start != offset)
            {
                // Distribution spec: an out-of-order chunk is answered 416 with the current Range.
                throw new RegistryException(ErrorCode.BlobUploadInvalid, $"chunk starts at {r.Start} but the upload holds {offset} bytes", status: 416)
                {
                    Headers = new Dictionary<string, string>
                    {
                        ["Range"] = UploadStatus.RangeOf(offset),
                        ["Location"] = $"/v2/{session.Repository}/blobs/uploads/{session.Id}",
                        ["Docker-Upload-UUID"] = session.Id.Value,
                    },
                };
            }
            if (contentLength is { } length && length != r.Length)
            {
                throw new RegistryException(ErrorCode.SizeInvalid, $"Content-Range {r.Start}-{r.End} is {r.Length} bytes but Content-Length is {length}");
            }
        }
        if (state.Hash is null || state.HashedBytes > offset)
        {
            // No hash state for these bytes (first chunk after a restart, or after a failed chunk):
            // start again from the first byte.
            state.Reset();
            state.Hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
        if (state.HashedBytes < offset)
        {
            // Chunks this process has not seen: hash them from storage. Stored chunks never change,
            // so a replica that saw the first chunks of an upload and then none (they went to other
            // replicas) catches up by reading only what it missed, never the whole upload again.
            try
            {
                await HashingCopy.HashStoredAsync(storage, path, state.HashedBytes, offset, state.Hash, cancellationToken);
            }
            catch
            {
                // Part of the missed bytes went into the hash: it is no longer known what it has seen.
                state.Reset();
                throw;
            }
            state.HashedBytes = offset;
        }
        try
        {
            var copied = await HashingCopy.CopyAsync(body, writer, state.Hash, cancellationToken);
            if (range is { } chunk && copied != chunk.Length)
            {
                throw new RegistryException(ErrorCode.SizeInvalid, $"Content-Range announced {chunk.Length} bytes but the body had {copied}");
            }
            await writer.CommitAsync(cancellationToken);
            state.HashedBytes = writer.Size;
            return writer.Size;
        }
        catch
        {
            // The writer drops the partial chunk; the hash has seen it, so it must go too.
            state.Reset();
            throw;
        }
    }

    private async Task<CommittedBlob> CommitAsync(UploadSession session, string stagedPath, Digest digest, long size)
    {
        // From here on the client's departure changes nothing. The claim keeps garbage collection
        // off the digest while its bytes are put in place (they may already be there, from another
        // push, and otherwise unreferenced); bytes first, then the metadata that makes them visible,
        // so a crash between the two leaves only unreferenced bytes, which the claim's review finds.
        await ClaimAsync(session, digest);
        await storage.MoveAsync(stagedPath, StoragePaths.Blob(digest), CancellationToken.None);
        await metadata.CompleteUploadAsync(session.Id, session.Repository, digest, size, CancellationToken.None);
        await _events.RecordAsync(new RegistryEvent(EventActions.Push, EventTargetKind.Blob, session.Repository, digest, MediaTypes.OctetStream, size));
        return new CommittedBlob(digest, size);
    }

    /// <summary>How long a commit waits for garbage collection to finish deleting the same digest's
    /// bytes; a deletion left by a dead process stops counting after <see cref="GcRules.StaleDeletion"/>.</summary>
    private static readonly TimeSpan ClaimPatience = GcRules.StaleDeletion * 2;

    private async Task ClaimAsync(UploadSession session, Digest digest)
    {
        var started = time.GetTimestamp();
        while (!await metadata.TryClaimBlobAsync(session, digest, CancellationToken.None))
        {
            if (time.GetElapsedTime(started) > ClaimPatience)
            {
                throw new RegistryException(ErrorCode.Unknown, $"blob {digest} is being deleted by garbage collection; retry the upload", status: 503);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(25), time, CancellationToken.None);
        }
    }

    private async Task<Digest> HashStoredAsync(string path, long size, string algorithm, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashingCopy.AlgorithmFor(algorithm));
        await HashingCopy.HashStoredAsync(storage, path, 0, size, hash, cancellationToken);
        return Digest.FromHash(algorithm, hash.GetCurrentHash());
    }

    private static void VerifyDigest(Digest expected, Digest actual)
    {
        if (expected != actual)
        {
            throw new RegistryException(ErrorCode.DigestInvalid, $"the uploaded content has digest {actual}, not {expected}");
        }
    }

    /// <summary>Finds the session and takes its lock. The session is looked up again once the lock is
    /// held: a request that queued behind a completion or a cancel must not write into a session
    /// that no longer exists.</summary>
    private async Task<(UploadSession Session, SessionState State)> LockAsync(RepositoryName repository, string id, CancellationToken cancellationToken)
    {
        var session = await FindAsync(repository, id, cancellationToken);
        while (true)
        {
            var state = _sessions.GetOrAdd(session.Id, _ => new SessionState());
            await state.Lock.WaitAsync(cancellationToken);
            if (!_sessions.TryGetValue(session.Id, out var current) || !ReferenceEquals(current, state))
            {
                // Dropped as idle (or forgotten) while this request waited: take the one in use now,
                // so two requests of one upload never run side by side on two states.
                state.Lock.Release();
                session = await FindAsync(repository, id, cancellationToken);
                continue;
            }
            try
            {
                state.LastUsed = time.GetUtcNow();
                session = await FindAsync(repository, id, cancellationToken);
                return (session, state);
            }
            catch
            {
                state.Lock.Release();
                throw;
            }
        }
    }

    private async Task<UploadSession> FindAsync(RepositoryName repository, string id, CancellationToken cancellationToken)
    {
        if (!UploadId.TryParse(id, out var uploadId))
        {
            throw new RegistryException(ErrorCode.BlobUploadUnknown, $"'{InputText.Clip(id)}' is not an upload id");
        }
        var session = await metadata.GetUploadAsync(uploadId, cancellationToken);
        if (session is null || session.Repository != repository)
        {
            throw new RegistryException(ErrorCode.BlobUploadUnknown, $"upload {uploadId} is not in progress in repository {repository}");
        }
        return session;
    }

    private void Forget(UploadId id, SessionState state)
    {
        _sessions.TryRemove(new KeyValuePair<UploadId, SessionState>(id, state));
        state.Reset();
    }

    private sealed class SessionState
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);
        public IncrementalHash? Hash { get; set; }
        public long HashedBytes { get; set; }
        public DateTimeOffset LastUsed { get; set; }

        public void Reset()
        {
            Hash?.Dispose();
            Hash = null;
            HashedBytes = 0;
        }
    }
}
