using System.Net;
using System.Text;
using Wharf.Tests.Api;
using Wharf.Tests.EndToEnd;

namespace Wharf.Tests.Observability;

/// <summary>
/// With <c>Tracing:Otlp:Endpoint</c> set, each request becomes a trace whose spans include the
/// metadata store's and the storage's operations, exported over OTLP (here HTTP/protobuf to a
/// listener of the test's own; the exporter sends what it holds when the server stops).
/// </summary>
public sealed class TracingApiTests
{
    [Fact]
    public async Task Requests_AreExportedOverOtlp_WithStoreAndStorageSpans()
    {
        var port = WharfProcess.FindFreePort();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = new List<byte[]>();
        var paths = new List<string>();
        var collecting = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await collector.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (received)
                {
                    received.Add(body.ToArray());
                    paths.Add(context.Request.Url!.AbsolutePath);
                }
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        using (var factory = new WharfApiFactory(("Tracing:Otlp:Endpoint", $"http://127.0.0.1:{port}/v1/traces"), ("Tracing:Otlp:Protocol", "http/protobuf")))
        {
            using var client = factory.CreateClient();
            var registry = new RegistryClient(client);
            await registry.PushImageAsync("traced/app", "v1");
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/traced/app/manifests/v1");
            request.Headers.Add("X-Request-Id", "traced-request-1");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Stopping the server flushed the exporter; its POST may still be in the listener's hands.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string exported;
        while (true)
        {
            lock (received)
            {
                exported = string.Join('\n', received.Select(Encoding.Latin1.GetString));
            }
            if (exported.Contains("traced-request-1", StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                break;
            }
            await Task.Delay(100);
        }
        collector.Stop();
        await collecting;

        Assert.All(paths, p => Assert.Equal("/v1/traces", p));
        Assert.Contains("traced-request-1", exported, StringComparison.Ordinal);
        Assert.Contains("GET manifest_get", exported, StringComparison.Ordinal);
        Assert.Contains("PUT manifest_put", exported, StringComparison.Ordinal);
        Assert.Contains("metadata PutManifest", exported, StringComparison.Ordinal);
        Assert.Contains("metadata GetManifest", exported, StringComparison.Ordinal);
        Assert.Contains("storage OpenAppendWriter", exported, StringComparison.Ordinal);
        Assert.Contains("traced/app", exported, StringComparison.Ordinal);
    }
}
