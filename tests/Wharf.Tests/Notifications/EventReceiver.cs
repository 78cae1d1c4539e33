using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Wharf.Tests.Notifications;

/// <summary>One envelope as the receiver got it.</summary>
public sealed record ReceivedEnvelope(string? ContentType, IReadOnlyDictionary<string, string> Headers, IReadOnlyList<JsonElement> Events);

/// <summary>
/// A webhook receiver on a real Kestrel listener on 127.0.0.1: records every envelope POSTed to
/// <see cref="Url"/> and answers 200, or 500 while <see cref="FailNext"/> is above zero. It can be
/// stopped and started again on the same port, as a receiver that goes down and comes back.
/// </summary>
public sealed class EventReceiver : IAsyncDisposable
{
    private WebApplication? _app;
    private int _failNext;

    private EventReceiver(int port) => Port = port;

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/events";

    public ConcurrentQueue<ReceivedEnvelope> Envelopes { get; } = new();

    /// <summary>Requests answered 500 (and still recorded in <see cref="Refused"/>).</summary>
    public int FailNext
    {
        get => Volatile.Read(ref _failNext);
        set => Volatile.Write(ref _failNext, value);
    }

    public ConcurrentQueue<ReceivedEnvelope> Refused { get; } = new();

    /// <summary>Every event of every accepted envelope, in arrival order.</summary>
    public IReadOnlyList<JsonElement> Events => [.. Envelopes.SelectMany(e => e.Events)];

    /// <summary>A receiver on a free port, not yet listening.</summary>
    public static EventReceiver OnFreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new EventReceiver(port);
    }

    public static async Task<EventReceiver> StartNewAsync()
    {
        var receiver = OnFreePort();
        await receiver.StartAsync();
        return receiver;
    }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, Port));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/events", async context =>
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            var envelope = new ReceivedEnvelope(
                context.Request.ContentType,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                [.. document.RootElement.GetProperty("events").EnumerateArray().Select(e => e.Clone())]);
            if (Interlocked.Decrement(ref _failNext) >= 0)
            {
                Refused.Enqueue(envelope);
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
            }
            Interlocked.Exchange(ref _failNext, 0);
            Envelopes.Enqueue(envelope);
        });
        await app.StartAsync();
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Waits until the accepted events satisfy <paramref name="done"/>; fails with what
    /// arrived when they do not within <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForAsync(Func<IReadOnlyList<JsonElement>, bool> done, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var events = Events;
            if (done(events))
            {
                return events;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"the receiver did not get {what ?? "the expected events"} in time; it got {events.Count}: {string.Join(", ", events.Take(20).Select(Describe))}");
            }
            await Task.Delay(50);
        }
    }

    public static string Describe(JsonElement e) =>
        $"{e.GetProperty("action").GetString()} {e.GetProperty("target").GetProperty("repository").GetString()}"
        + (e.GetProperty("target").TryGetProperty("tag", out var tag) ? ":" + tag.GetString() : "")
        + (e.GetProperty("target").TryGetProperty("digest", out var digest) ? "@" + digest.GetString() : "");

    public ValueTask DisposeAsync() => new(StopAsync());
}

/// <summary>Reading distribution's event fields in assertions.</summary>
public static class EventFields
{
    public static string? Str(this JsonElement e, string path)
    {
        var current = e;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return null;
            }
        }
        return current.ValueKind == JsonValueKind.Number ? current.GetRawText() : current.GetString();
    }

    public static string Action(this JsonElement e) => e.Str("action")!;

    public static string? Repository(this JsonElement e) => e.Str("target.repository");
}
