using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Wharf.Distribution;

namespace Wharf.Proxy;

/// <summary>
/// One blob on its way from an upstream: the bytes that have arrived so far, in a spool file every
/// client waiting for the blob reads from, how many there are, and the verdict once the digest
/// is checked.
/// Readers never send the last byte before the verdict, so a client never completes a transfer
/// of bytes that turned out wrong.
/// </summary>
/// <remarks>
/// The most recent chunks also stay in memory (a few MiB per fetch), so clients keeping pace
/// with the upstream, and the copy into storage, take them from there without a read.
/// </remarks>
internal sealed class BlobFetch(Digest digest, ProxiedRepository repository)
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _available;
    private SafeFileHandle? _spool;
    private int _holders = 1; // the fetch itself, until it ends
    private const int RecentChunks = 8;
    private readonly (long Offset, byte[]? Buffer, int Length)[] _recent = new (long, byte[]?, int)[RecentChunks];
    private int _nextRecent;

    public Digest Digest { get; } = digest;

    /// <summary>The repository whose pull started the fetch; the blob is linked there.</summary>
    public ProxiedRepository Repository { get; } = repository;

    /// <summary>The upstream's answer: the blob's length when it sent one; faulted with the
    /// <see cref="RegistryException"/> the client gets when the upstream does not have it or
    /// cannot be reached.</summary>
    public TaskCompletionSource<long?> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed once every byte has arrived and the digest matched: readers may send
    /// the last byte (the client need not wait for the cache's own durable write); faulted when
    /// the bytes were wrong or did not all come.</summary>
    public TaskCompletionSource Verified { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed once the blob is verified and stored; faulted when it was not.</summary>
    public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Available => Volatile.Read(ref _available);

    public SafeFileHandle Spool => _spool ?? throw new InvalidOperationException("the fetch has not started");

    public void SetSpool(SafeFileHandle spool) => _spool = spool;

    /// <summary>Takes a reader's hold on the spool; false when the fetch is over and its spool gone.</summary>
    public bool TryHold()
    {
        lock (_lock)
        {
            if (_holders == 0)
            {
                return false;
            }
            _holders++;
            return true;
        }
    }

    /// <summary>Releases a hold (a reader's, or the fetch's own at its end); the last one closes the spool.</summary>
    public void Release()
    {
        lock (_lock)
        {
            if (--_holders > 0)
            {
                return;
            }
            for (var i = 0; i < RecentChunks; i++)
            {
                if (_recent[i].Buffer is { } buffer)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                _recent[i] = default;
            }
        }
        _spool?.Dispose();
    }

    /// <summary>Makes the next <paramref name="length"/> bytes, in a pooled buffer this fetch now
    /// owns, available to readers. The chunk it pushes out of memory must already be in the spool.</summary>
    public void Append(byte[] buffer, int length)
    {
        byte[]? evicted;
        lock (_lock)
        {
            evicted = _recent[_nextRecent].Buffer;
            _recent[_nextRecent] = (_available, buffer, length);
            _nextRecent = (_nextRecent + 1) % RecentChunks;
        }
        if (evicted is not null)
        {
            ArrayPool<byte>.Shared.Return(evicted);
        }
        Publish(Available + length);
    }

    /// <summary>Copies bytes from <paramref name="position"/> on out of the recent chunks; 0 when
    /// they are no longer in memory (read the spool then).</summary>
    public int CopyRecent(long position, Span<byte> destination)
    {
        lock (_lock)
        {
            foreach (var (offset, buffer, length) in _recent)
            {
                if (buffer is not null && position >= offset && position < offset + length)
                {
                    var count = (int)Math.Min(destination.Length, offset + length - position);
                    buffer.AsSpan((int)(position - offset), count).CopyTo(destination);
                    return count;
                }
            }
        }
        return 0;
    }

    private void Publish(long available)
    {
        TaskCompletionSource reached;
        lock (_lock)
        {
            _available = available;
            reached = _progress;
            _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        reached.TrySetResult();
    }

    /// <summary>Waits until more than <paramref name="position"/> bytes have arrived, or the fetch ended.</summary>
    public Task WaitBeyondAsync(long position, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _available > position || Verified.Task.IsCompleted ? Task.CompletedTask : _progress.Task.WaitAsync(cancellationToken);
        }
    }

    public void Verify()
    {
        Verified.TrySetResult();
        Publish(Available);
    }

    public void Succeed()
    {
        Verify();
        Finished.TrySetResult();
    }

    public void Fail(RegistryException error)
    {
        Started.TrySetException(error);
        Verified.TrySetException(error);
        Finished.TrySetException(error);
        // Observed here so that a fetch nobody waited for does not report an unobserved exception.
        _ = Started.Task.Exception;
        _ = Verified.Task.Exception;
        _ = Finished.Task.Exception;
        Publish(Available);
    }
}
