using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Wharf.Distribution;

namespace Wharf.Api;

/// <summary>
/// The one place errors become responses: a <see cref="RegistryException"/> becomes the spec's
/// JSON error body and status; anything unexpected becomes 500 UNKNOWN with nothing internal in
/// the body (and is logged); a client that went away is not an error and is not answered.
/// Also stamps every response with the API version header.
/// </summary>
internal static partial class ErrorHandling
{
    public static IApplicationBuilder UseRegistryErrors(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            context.Response.Headers[RegistryHeaders.ApiVersion] = RegistryHeaders.ApiVersionValue;
            try
            {
                await next(context);
            }
            catch (RegistryException e)
            {
                await WriteAsync(context, e);
            }
            catch (Exception e) when (IsClientGone(context, e))
            {
                context.Abort();
            }
            catch (Exception e) when (IsNoSpace(e))
            {
                // ENOSPC, or the database's disk is full: the write's bytes were never committed
                // (an uncommitted writer is discarded) and the transaction rolled back, so nothing
                // is half written; tell the client what is wrong.
                Log.StorageFull(Logger(context), context.Request.Method, context.Request.Path, e.Message);
                await WriteAsync(context, new RegistryException(ErrorCode.Unknown, "the registry's storage is full; nothing was stored", StatusCodes.Status507InsufficientStorage));
            }
            catch (BadHttpRequestException e)
            {
                // Kestrel's own verdicts on the request (a body larger than allowed, a malformed body).
                var code = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? ErrorCode.SizeInvalid : ErrorCode.Unsupported;
                await WriteAsync(context, new RegistryException(code, e.Message, e.StatusCode));
            }
            catch (Exception e)
            {
                Log.Unhandled(Logger(context), context.Request.Method, context.Request.Path, e);
                await WriteAsync(context, new RegistryException(ErrorCode.Unknown, "internal error; see the registry's log"));
            }
        });

    public static async Task WriteAsync(HttpContext context, RegistryException error)
    {
        if (context.Response.HasStarted)
        {
            // Too late for a status: cut the connection so the client sees a failure, not a short body.
            context.Abort();
            return;
        }
        var allow = context.Response.Headers.Allow;
        context.Response.Clear();
        context.Response.Headers[RegistryHeaders.ApiVersion] = RegistryHeaders.ApiVersionValue;
        context.Response.Headers[Observability.RequestTelemetry.RequestIdHeader] = context.TraceIdentifier;
        if (!string.IsNullOrEmpty(allow))
        {
            context.Response.Headers.Allow = allow;
        }
        if (error.Headers is not null)
        {
            foreach (var (name, value) in error.Headers)
            {
                context.Response.Headers[name] = value;
            }
        }
        context.Response.StatusCode = error.Status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = Serialize(error);
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(body);
        }
    }

    private static byte[] Serialize(RegistryException error)
    {
        var descriptor = error.Code.Describe();
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, ApiJsonWriter.Options))
        {
            json.WriteStartObject();
            json.WriteStartArray("errors");
            json.WriteStartObject();
            json.WriteString("code", descriptor.Code);
            json.WriteString("message", error.ClientMessage ?? descriptor.Message);
            if (error.Detail is null)
            {
                json.WriteNull("detail");
            }
            else
            {
                json.WriteString("detail", error.Detail);
            }
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    // Linux reports ENOSPC (28) as the IOException's HResult; Windows ERROR_DISK_FULL and
    // ERROR_HANDLE_DISK_FULL. SQLite says SQLITE_FULL (13), PostgreSQL disk_full (53100).
    internal static bool IsNoSpace(Exception e) =>
        e is IOException { HResult: 28 or unchecked((int)0x80070070) or unchecked((int)0x80070027) }
            or Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 13 }
            or Npgsql.PostgresException { SqlState: "53100" }
        || (e.InnerException is { } inner && IsNoSpace(inner));

    private static bool IsClientGone(HttpContext context, Exception e) =>
        context.RequestAborted.IsCancellationRequested
        || e is ConnectionResetException or ConnectionAbortedException
        || (e is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        || (e is IOException && e.InnerException is ConnectionResetException);

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Wharf.Api");

    private static partial class Log
    {
        [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Unhandled error serving {Method} {Path}")]
        public static partial void Unhandled(ILogger logger, string method, string path, Exception exception);

        [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Storage full serving {Method} {Path}: {Reason}")]
        public static partial void StorageFull(ILogger logger, string method, string path, string reason);
    }
}
