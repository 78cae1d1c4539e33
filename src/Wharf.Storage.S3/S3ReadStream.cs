using Amazon.S3.Model;

namespace Wharf.Storage.S3;

/// <summary>
/// Reads an object's pieces in order as one stream, one ranged GET per piece, each opened only when
/// the reading reaches it. Seekable (a seek drops the open response; the next read asks for the new
/// position), so the HTTP layer can answer Range requests from it. Every GET names the exact bytes
/// the piece was listed with: if a writer replaces a short last segment meanwhile, the reader still
/// sees the object as it was when it was opened.
/// </summary>
internal sealed class S3ReadStream : Stream
{
    private readonly S3Bucket _bucket;
    private readonly IReadOnlyList<Piece> _pieces;
    private readonly long _length;
    private long _position;
    private GetObjectResponse? _response;
    private long _responseEnd;

    /// <param name="opened">A response already open at <paramref name="position"/> (for a plain
    /// object, the GET that found it), running to the end of its piece.</param>
    public S3ReadStream(S3Bucket bucket, IReadOnlyList<Piece> pieces, long position, GetObjectResponse? opened = null)
    {
        _bucket = bucket;
        _pieces = pieces;
        _length = pieces.Count == 0 ? 0 : pieces[^1].End;
        _position = position;
        if (opened is not null && position < _length)
        {
            _response = opened;
            _responseEnd = PieceAt(position).End;
        }
        else
        {
            // Nothing to read from it (an empty object).
            opened?.Dispose();
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty || _position >= _length)
        {
            return 0;
        }
        if (_response is null)
        {
            var piece = PieceAt(_position);
            _response = await _bucket.GetAsync(piece.Key, _position - piece.Start, piece.Length - 1, cancellationToken);
            _responseEnd = piece.End;
        }
        var wanted = (int)Math.Min(buffer.Length, _responseEnd - _position);
        var read = await _response.ResponseStream.ReadAsync(buffer[..wanted], cancellationToken);
        if (read == 0)
        {
            throw new IOException($"'{_response.Key}' ended before the {_responseEnd - _position} bytes it was listed with");
        }
        _position += read;
        if (_position == _responseEnd)
        {
            CloseResponse();
        }
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Synchronous reads block on the network; the server reads asynchronously, this is for
    // completeness of the Stream contract.
    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin)
    {
        var position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        ArgumentOutOfRangeException.ThrowIfNegative(position, nameof(offset));
        if (position != _position)
        {
            CloseResponse();
            _position = position;
        }
        return _position;
    }

    private Piece PieceAt(long position)
    {
        // Few pieces (one for every blob): a linear search is all it takes.
        foreach (var piece in _pieces)
        {
            if (position < piece.End)
            {
                return piece;
            }
        }
        throw new InvalidOperationException("no piece holds a position past the end");
    }

    private void CloseResponse()
    {
        _response?.Dispose();
        _response = null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseResponse();
        }
        base.Dispose(disposing);
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
