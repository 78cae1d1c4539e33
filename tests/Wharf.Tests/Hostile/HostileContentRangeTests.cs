namespace Wharf.Tests.Hostile;

/// <summary>
/// Content-Range tricks on a chunk PATCH (and a closing PUT) to an upload that holds 10 bytes:
/// overlaps, gaps, negative and reversed ranges, numbers too large, bad syntax, and ranges that
/// do not agree with the body, with and without Content-Length. The session must keep its 10
/// bytes whatever happens.
/// </summary>
public sealed class HostileContentRangeTests(HostileRegistryFixture registry) : IClassFixture<HostileRegistryFixture>
{
    private static readonly byte[] TenBytes = "ABCDEFGHIJ"u8.ToArray();

    private async Task AssertChunkRefusedAsync(string method, string contentRange, int status, string code, byte[] body, bool chunked = false)
    {
        var upload = await registry.NewUploadAsync("range/app", 10);
        var target = method == "PUT" ? $"{upload}?digest=sha256:{new string('0', 64)}" : upload;
        var before = await registry.StateAsync();

        var response = await RawHttp.SendAsync(registry.Server, method, target, body, [("Content-Range", contentRange), ("Content-Type", "application/octet-stream")], chunked);

        var what = $"{method} Content-Range: {contentRange} ({body.Length}-byte body{(chunked ? ", chunked" : "")})";
        Hostile.AssertRefused(response, status, code, what);
        if (status == 416)
        {
            Assert.Equal("0-9", response.Header("Range"));
        }
        before.AssertSame(await registry.StateAsync(), what);
        var after = await RawHttp.SendAsync(registry.Server, "GET", upload);
        Assert.Equal(204, after.Status);
        Assert.Equal("0-9", after.Header("Range"));
    }

    [Theory]
    [InlineData("5-14", 416, "BLOB_UPLOAD_INVALID")]          // overlaps what is there
    [InlineData("0-9", 416, "BLOB_UPLOAD_INVALID")]           // the same bytes again
    [InlineData("9-18", 416, "BLOB_UPLOAD_INVALID")]          // overlaps by one
    [InlineData("11-20", 416, "BLOB_UPLOAD_INVALID")]         // a gap of one byte
    [InlineData("20-29", 416, "BLOB_UPLOAD_INVALID")]         // starts beyond the current end
    [InlineData("bytes 20-29/*", 416, "BLOB_UPLOAD_INVALID")]
    [InlineData("999999999999999990-999999999999999999", 416, "BLOB_UPLOAD_INVALID")]
    [InlineData("-5-4", 400, "BLOB_UPLOAD_INVALID")]          // negative start
    [InlineData("-1", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("10--1", 400, "BLOB_UPLOAD_INVALID")]         // negative end
    [InlineData("19-10", 400, "BLOB_UPLOAD_INVALID")]         // end before start
    [InlineData("10-9", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("10-99999999999999999999", 400, "BLOB_UPLOAD_INVALID")]   // beyond a long
    [InlineData("10-9223372036854775807", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("10-999999999999999999", 400, "SIZE_INVALID")]            // fits, but the body is 10 bytes
    [InlineData("1019", 400, "BLOB_UPLOAD_INVALID")]          // no dash
    [InlineData("10", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("-", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("10-", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("10-19,20-29", 400, "BLOB_UPLOAD_INVALID")]   // several ranges
    [InlineData("10 - 19", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("0x0a-0x13", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("1e1-19", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("+10-19", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("bytes", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("bytes */10", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("items 10-19", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("10-29", 400, "SIZE_INVALID")]                // longer than the body
    [InlineData("10-14", 400, "SIZE_INVALID")]                // shorter than the body
    [InlineData("10-10", 400, "SIZE_INVALID")]
    public async Task PatchChunk_HostileContentRange_Refused(string contentRange, int status, string code)
    {
        await AssertChunkRefusedAsync("PATCH", contentRange, status, code, TenBytes);
    }

    [Theory]
    [InlineData("10-29", 400, "SIZE_INVALID")]   // announces more than the body brings
    [InlineData("10-14", 400, "SIZE_INVALID")]   // announces less than the body brings
    [InlineData("5-14", 416, "BLOB_UPLOAD_INVALID")]
    public async Task PatchChunk_ContentRangeDisagreesWithChunkedBody_Refused(string contentRange, int status, string code)
    {
        await AssertChunkRefusedAsync("PATCH", contentRange, status, code, TenBytes, chunked: true);
    }

    [Fact]
    public async Task PatchChunk_ContentRangeShorterThanLargeChunkedBody_RefusedAndNothingKept()
    {
        // One byte announced, a megabyte sent: nothing of it may stay in the session.
        await AssertChunkRefusedAsync("PATCH", "10-10", 400, "SIZE_INVALID", new byte[1024 * 1024], chunked: true);
    }

    [Theory]
    [InlineData("5-14", 416, "BLOB_UPLOAD_INVALID")]
    [InlineData("20-29", 416, "BLOB_UPLOAD_INVALID")]
    [InlineData("19-10", 400, "BLOB_UPLOAD_INVALID")]
    [InlineData("10-29", 400, "SIZE_INVALID")]
    [InlineData("nonsense", 400, "BLOB_UPLOAD_INVALID")]
    public async Task PutComplete_HostileContentRange_Refused(string contentRange, int status, string code)
    {
        await AssertChunkRefusedAsync("PUT", contentRange, status, code, TenBytes);
    }

    [Fact]
    public async Task PatchChunk_ContentLengthLargerThanBodySent_RefusedOnceTheClientGivesUp()
    {
        // The client announces 20 bytes, sends 10 and closes its side: the chunk is incomplete
        // and must not be kept.
        var upload = await registry.NewUploadAsync("range/app", 10);
        var before = await registry.StateAsync();

        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(registry.Server.Host, registry.Server.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
                $"PATCH {upload} HTTP/1.1\r\nHost: {registry.Server.Authority}\r\nContent-Range: 10-29\r\nContent-Length: 20\r\n\r\n"));
            await stream.WriteAsync(TenBytes);
            await stream.FlushAsync();
            tcp.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            await Task.Delay(500);
        }

        // The server sees the connection end mid-body; give it a moment to clean up.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        RegistryState after;
        do
        {
            await Task.Delay(200);
            after = await registry.StateAsync();
        }
        while (!after.Files.SequenceEqual(before.Files) && DateTime.UtcNow < deadline);
        before.AssertSame(after, "PATCH with a body cut short");
        var status = await RawHttp.SendAsync(registry.Server, "GET", upload);
        Assert.Equal("0-9", status.Header("Range"));
    }
}
