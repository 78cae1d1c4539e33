using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http.Features;
using Wharf.Auth;
using Wharf.Diagnostics;

namespace Wharf.Observability;

/// <summary>
/// The outermost middleware: gives every request an id (the caller's <c>X-Request-Id</c> when it
/// sends a sane one, else the server's own), echoes it in the response, and when the request ends
/// writes its one log line and its metrics. The log line names the operation, repository,
/// reference, status, bytes, duration, caller, client address and request id, and never a header
/// value or a query string: credentials cannot reach the log through it.
/// </summary>
internal sealed partial class RequestTelemetry(RequestDelegate next, ILoggerFactory loggers)
{
    /// <summary>The request log's category: <c>Logging:LogLevel:Wharf.Requests: Warning</c> turns it off.</summary>
    public const string LogCategory = "Wharf.Requests";

    public const string RequestIdHeader = "X-Request-Id";

    private const int MaxRequestIdLength = 128;

    private static readonly Counter<long> Requests = WharfTelemetry.Meter.CreateCounter<long>(
        "wharf.http.requests", description: "Requests answered, by operation, method and status class");

    private static readonly Histogram<double> Duration = WharfTelemetry.Meter.CreateHistogram(
        "wharf.http.request.duration", unit: "s", description: "Time from a request's arrival to the end of its answer",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = WharfTelemetry.LatencyBuckets });

    private static readonly Counter<long> Received = WharfTelemetry.Meter.CreateCounter<long>(
        "wharf.http.received", unit: "By", description: "Request body bytes received");

    private static readonly Counter<long> Sent = WharfTelemetry.Meter.CreateCounter<long>(
        "wharf.http.sent", unit: "By", description: "Response body bytes sent (as declared by Content-Length)");

    private readonly ILogger _logger = loggers.CreateLogger(LogCategory);

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var request = context.Request;
        var requestId = AcceptedRequestId(request.Headers[RequestIdHeader]) ?? context.TraceIdentifier;
        context.TraceIdentifier = requestId;
        context.Response.Headers[RequestIdHeader] = requestId;
        var facts = new RequestFacts();
        context.Features.Set(facts);
        // A body without a length (chunked uploads) is counted as it is read; otherwise the length says it.
        CountingReadStream? counted = null;
        if (request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            request.Body = counted = new CountingReadStream(request.Body);
        }
        try
        {
            await next(context);
        }
        finally
        {
            if (!request.Path.StartsWithSegments("/v2"))
            {
                facts.Operation = RequestFacts.OperationOf(request.Path);
                facts.Reference ??= request.Path.Value;
            }
            var elapsed = Stopwatch.GetElapsedTime(started);
            var status = context.Response.StatusCode;
            var received = counted?.BytesRead ?? request.ContentLength ?? 0;
            var sent = HttpMethods.IsHead(request.Method) ? 0 : context.Response.ContentLength ?? 0;
            Record(facts.Operation, request.Method, status, elapsed, received, sent);
            if (Activity.Current is { } activity)
            {
                activity.DisplayName = $"{request.Method} {facts.Operation}";
                activity.SetTag("wharf.operation", facts.Operation);
                activity.SetTag("wharf.repository", facts.Repository);
                activity.SetTag("wharf.reference", facts.Reference);
                activity.SetTag("wharf.request_id", requestId);
            }
            // Probes and scrapes come every few seconds; they are logged only at Debug.
            var level = facts.Operation is "health" or "metrics" ? LogLevel.Debug : LogLevel.Information;
            if (_logger.IsEnabled(level))
            {
                var milliseconds = Math.Round(elapsed.TotalMilliseconds, 3);
                var caller = CallerName(context);
                var client = context.Connection.RemoteIpAddress?.ToString() ?? "-";
                Log.Request(_logger, level, request.Method, facts.Operation, facts.Repository ?? "-", facts.Reference ?? "-", status,
                    milliseconds, received, sent, caller, client, requestId);
            }
        }
    }

    private static void Record(string operation, string method, int status, TimeSpan elapsed, long received, long sent)
    {
        if (Requests.Enabled)
        {
            var tags = new TagList
            {
                { "operation", operation },
                { "method", MethodLabel(method) },
                { "status_class", StatusClass(status) },
            };
            Requests.Add(1, tags);
            Duration.Record(elapsed.TotalSeconds, tags);
        }
        if (received > 0)
        {
            Received.Add(received, new KeyValuePair<string, object?>("operation", operation));
        }
        if (sent > 0)
        {
            Sent.Add(sent, new KeyValuePair<string, object?>("operation", operation));
        }
    }

    /// <summary>An id the caller chose is kept when it is short and plain (it is echoed in a header
    /// and written to logs); anything else is replaced.</summary>
    internal static string? AcceptedRequestId(string? candidate)
    {
        if (string.IsNullOrEmpty(candidate) || candidate.Length > MaxRequestIdLength)
        {
            return null;
        }
        foreach (var c in candidate)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '/' or '+' or '='))
            {
                return null;
            }
        }
        return candidate;
    }

    private static string CallerName(HttpContext context) =>
        context.Items.TryGetValue(RegistryAuthorizer.CallerKey, out var known) && known is Caller { IsAuthenticated: true } caller
            ? caller.Name ?? "token"
            : "anonymous";

    // Bounded label values: a client cannot grow the metrics with made-up methods.
    private static string MethodLabel(string method) => method switch
    {
        "GET" or "HEAD" or "PUT" or "POST" or "PATCH" or "DELETE" or "OPTIONS" => method,
        _ => "OTHER",
    };

    private static string StatusClass(int status) => status switch
    {
        < 200 => "1xx",
        < 300 => "2xx",
        < 400 => "3xx",
        < 500 => "4xx",
        _ => "5xx",
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 5000, Message = "{Method} {Operation} {Repository} {Reference} answered {Status} in {DurationMs} ms, {BytesReceived} bytes in, {BytesSent} out, caller {Caller} at {ClientAddress}, request {RequestId}")]
        public static partial void Request(ILogger logger, LogLevel level, string method, string operation, string repository, string reference, int status,
            double durationMs, long bytesReceived, long bytesSent, string caller, string clientAddress, string requestId);
    }
}

/// <summary>Counts the bytes read through it: the size of a chunked request body.</summary>
internal sealed class CountingReadStream(Stream inner) : Stream
{
    public long BytesRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer));

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Counted(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Counted(int read)
    {
        BytesRead += read;
        return read;
    }
}
