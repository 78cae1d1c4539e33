using System.Buffers;
using Amazon.S3.Model;

namespace Wharf.Storage.S3;

/// <summary>
/// Appends to an object by writing one new S3 object, which becomes part of the stored object only
/// on commit:
/// <list type="bullet">
/// <item>Nothing stored yet: the writer writes the plain object at its key (so a blob uploaded in one
/// request is one plain object, as distribution's driver leaves it).</item>
/// <item>Otherwise it writes a segment (see <see cref="S3KeyLayout"/>) after the last one. When the
/// last piece is shorter than S3's 5 MiB minimum part, the writer first reads that piece back and
/// starts its own segment at the same offset, with those bytes in front: committing it replaces the
/// short piece in one step, and every piece but the last stays at least 5 MiB, so a move can compose
/// them server-side. Tiny appends thus rewrite at most 5 MiB each.</item>
/// <item>A plain object becomes segments: its bytes are carried into segment 0 (read back when short,
/// copied server-side when not), and deleting the plain object is the commit.</item>
/// </list>
/// The segment is a single PUT when it fits one part buffer, else a multipart upload streamed part by
/// part (completed on commit, aborted on dispose without commit), so a writer holds two part buffers
/// at most: the one filling and the one being sent.
/// Appends to one object must come one at a time, as chunks of an upload do.
/// </summary>
internal sealed class S3AppendWriter : IBlobWriter
{
    private readonly S3Bucket _bucket;
    private readonly string _target;
    private readonly long _committedSize;
    private readonly int _basePartSize;

    /// <summary>A short last piece whose bytes open this writer's segment.</summary>
    private readonly Piece? _carried;

    /// <summary>The plain object this writer turns into segments on commit.</summary>
    private readonly Piece? _plain;

    /// <summary>Where a plain object too large to carry is copied on commit (segment 0).</summary>
    private readonly string? _plainCopy;

    /// <summary>Nothing was stored: even an empty commit creates the object.</summary>
    private readonly bool _creates;

    private byte[]? _buffer;
    private int _capacity;
    private int _filled;
    private bool _carriedLoaded;
    private string? _uploadId;
    private readonly List<PartETag> _parts = [];
    private int _partsStarted;

    /// <summary>The part being sent while the next one fills (one at a time).</summary>
    private Task _partInFlight = Task.CompletedTask;

    /// <summary>The buffer of the part last sent, free for the next one once that send ended.</summary>
    private byte[]? _spare;
    private bool _failed;
    private bool _committed;
    private bool _disposed;

    private S3AppendWriter(S3Bucket bucket, string target, long committedSize, int basePartSize, Piece? carried = null, Piece? plain = null, string? plainCopy = null, bool creates = false)
    {
        _bucket = bucket;
        _target = target;
        _committedSize = committedSize;
        _basePartSize = basePartSize;
        _carried = carried;
        _plain = plain;
        _plainCopy = plainCopy;
        _creates = creates;
        Size = committedSize;
    }

    public long Size { get; private set; }

    public static async Task<S3AppendWriter> OpenAsync(S3Bucket bucket, S3KeyLayout keys, string path, int basePartSize, CancellationToken cancellationToken)
    {
        var stored = await StoredObject.FindAsync(bucket, keys, path, cancellationToken);
        if (stored is null)
        {
            return new S3AppendWriter(bucket, keys.Object(path), 0, basePartSize, creates: true);
        }
        var last = stored.Last;
        if (stored.IsPlain)
        {
            // Segments beside a plain object are a writer's that died before its commit: never
            // part of the object, and in the way of this writer's.
            var leftovers = await StoredObject.ListSegmentsAsync(bucket, keys, path, cancellationToken);
            await bucket.DeleteAsync(leftovers.Select(s => s.Key), cancellationToken);
            return last.Length < S3Limits.MinPartSize
                ? new S3AppendWriter(bucket, keys.Segment(path, 0), last.Length, basePartSize, carried: last, plain: last)
                : new S3AppendWriter(bucket, keys.Segment(path, last.End), last.Length, basePartSize, plain: last, plainCopy: keys.Segment(path, 0));
        }
        return last.Length < S3Limits.MinPartSize
            ? new S3AppendWriter(bucket, keys.Segment(path, last.Start), stored.Size, basePartSize, carried: last)
            : new S3AppendWriter(bucket, keys.Segment(path, last.End), stored.Size, basePartSize);
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
        {
            throw new InvalidOperationException("the writer has committed; open another to append more");
        }
        if (data.IsEmpty)
        {
            return;
        }
        try
        {
            if (!_carriedLoaded)
            {
                await LoadCarriedAsync(cancellationToken);
            }
            while (!data.IsEmpty)
            {
                // A full buffer is sent only once more bytes come: the last part is never empty, and
                // a segment that fits one buffer goes out as a single PUT on commit.
                if (_filled == _capacity)
                {
                    await SendFullBufferAsync(cancellationToken);
                }
                var count = Math.Min(data.Length, _capacity - _filled);
                data.Span[..count].CopyTo(_buffer.AsSpan(_filled));
                _filled += count;
                Size += count;
                data = data[count..];
            }
        }
        catch
        {
            // The buffer and the parts no longer say where the bytes stand.
            _failed = true;
            throw;
        }
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
        {
            return;
        }
        if (_failed)
        {
            throw new InvalidOperationException("a write of this writer failed; its bytes cannot be committed");
        }
        if (Size == _committedSize && !_creates)
        {
            // Nothing appended: the object stays exactly as it is.
            _committed = true;
            return;
        }
        if (_plainCopy is not null)
        {
            await S3Compose.ComposeAsync(_bucket, [_plain!.Value], _plainCopy, _plainCopy + "-", cancellationToken);
        }
        if (_uploadId is not null)
        {
            await _partInFlight;
            await SendPartAsync(_buffer!, _filled, NextPartNumber(), cancellationToken);
            await _bucket.Client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket.Name,
                Key = _target,
                UploadId = _uploadId,
                PartETags = _parts,
            }, cancellationToken);
        }
        else
        {
            await _bucket.PutAsync(_target, _buffer ?? [], _filled, cancellationToken);
        }
        if (_plain is { } plain)
        {
            // The segments are complete; from this delete on, they are the object.
            await _bucket.Client.DeleteObjectAsync(_bucket.Name, plain.Key, cancellationToken);
        }
        _committed = true;
    }

    public async ValueTask DisposeAsync()
    {
        // A part still being sent reads its buffer; its failure was (or will never be) reported.
        await _partInFlight.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_uploadId is not null && !_committed)
        {
            await S3Compose.AbortQuietlyAsync(_bucket, _target, _uploadId);
            _uploadId = null;
        }
        foreach (var buffer in new[] { _buffer, _spare })
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        _buffer = _spare = null;
        _disposed = true;
    }

    private async Task LoadCarriedAsync(CancellationToken cancellationToken)
    {
        RentBuffer(S3Limits.PartSize(_basePartSize, 1));
        if (_carried is { Length: > 0 } carried)
        {
            using var response = await _bucket.GetAsync(carried.Key, 0, carried.Length - 1, cancellationToken);
            var read = await response.ResponseStream.ReadAtLeastAsync(_buffer.AsMemory(0, (int)carried.Length), (int)carried.Length, throwOnEndOfStream: false, cancellationToken);
            if (read != carried.Length)
            {
                throw new IOException($"'{carried.Key}' holds {read} bytes, not the {carried.Length} it was listed with");
            }
            _filled = read;
        }
        _carriedLoaded = true;
    }

    /// <summary>Sends the full buffer as the next part in the background and goes on filling the
    /// other one: receiving a part overlaps sending the one before (on loopback to Ceph RGW, a 512 MiB
    /// push went from 82 to about 110 MiB/s), for a second buffer per writer.</summary>
    private async Task SendFullBufferAsync(CancellationToken cancellationToken)
    {
        await _partInFlight;
        var partNumber = NextPartNumber();
        _uploadId ??= (await _bucket.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket.Name, Key = _target }, cancellationToken)).UploadId;
        var full = _buffer!;
        _partInFlight = SendThenFreeAsync(full, _filled, partNumber, cancellationToken);

        var capacity = S3Limits.PartSize(_basePartSize, partNumber + 1);
        var next = _spare;
        _spare = null;
        if (next is null || next.Length < capacity)
        {
            if (next is not null)
            {
                ArrayPool<byte>.Shared.Return(next);
            }
            next = ArrayPool<byte>.Shared.Rent(capacity);
        }
        _buffer = next;
        _capacity = capacity;
        _filled = 0;
    }

    private async Task SendThenFreeAsync(byte[] buffer, int count, int partNumber, CancellationToken cancellationToken)
    {
        try
        {
            await SendPartAsync(buffer, count, partNumber, cancellationToken);
        }
        finally
        {
            _spare = buffer;
        }
    }

    private async Task SendPartAsync(byte[] buffer, int count, int partNumber, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(buffer, 0, count, writable: false);
        var uploaded = await _bucket.Client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _bucket.Name,
            Key = _target,
            UploadId = _uploadId,
            PartNumber = partNumber,
            InputStream = body,
        }, cancellationToken);
        // Parts are sent one at a time, so they are listed in order.
        _parts.Add(new PartETag(partNumber, uploaded.ETag));
    }

    private int NextPartNumber()
    {
        if (_partsStarted == S3Limits.MaxParts)
        {
            throw new IOException($"one append of more than {S3Limits.MaxParts} parts is beyond S3's multipart uploads");
        }
        return ++_partsStarted;
    }

    private void RentBuffer(int capacity)
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = ArrayPool<byte>.Shared.Rent(capacity);
        _capacity = capacity;
    }
}
