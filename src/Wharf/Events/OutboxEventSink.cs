using System.Text.Json;
using Microsoft.Extensions.Options;
using Wharf.Auth;
using Wharf.Metadata;
using Wharf.Operations;

namespace Wharf.Events;

/// <summary>
/// Turns registry events into one outbox row per endpoint that wants each, in one insert, and
/// wakes the dispatcher. The request waits for that insert and never for a receiver; with no
/// endpoint wanting the events nothing is written at all. Each endpoint's copy of an event carries
/// the same event id, so a receiver can tell a redelivery (at-least-once) from a new event.
/// </summary>
/// <remarks>
/// Durability: the insert follows the commit of the change it reports, and comes before the client
/// is answered. A crash between the two loses that one event, and that client got no answer
/// either. Once the row is in, it stays until delivered. (Writing the row in the transaction of the
/// change would close that window, at the cost of an outbox parameter on every write of the store.)
/// </remarks>
internal sealed partial class OutboxEventSink(IMetadataStore metadata, IOptions<NotificationOptions> options, IReadOnlyMode readOnly, IHttpContextAccessor http, OutboxSignal signal, TimeProvider time, ILogger<OutboxEventSink> logger) : IRegistryEvents
{
    /// <summary>Names this process in every event it sends (distribution's source.instanceID).</summary>
    internal static string InstanceId { get; } = Guid.NewGuid().ToString();

    public Task RecordAsync(RegistryEvent registryEvent) => RecordAsync([registryEvent]);

    /// <summary>Every row of <paramref name="registryEvents"/> in one insert: a push that sets
    /// several tags costs one write, not one per tag.</summary>
    public async Task RecordAsync(IReadOnlyList<RegistryEvent> registryEvents)
    {
        // A read-only registry writes nothing to its store, so it does not record pulls either.
        if (readOnly.IsReadOnly)
        {
            return;
        }
        var entries = new List<OutboxEntry>();
        var queued = new List<RegistryEvent>(registryEvents.Count);
        foreach (var registryEvent in registryEvents)
        {
            // Which endpoints want the event is decided once; it is described and serialized only
            // when one does, and every endpoint's row carries the same payload (the same event id).
            string? payload = null;
            foreach (var endpoint in options.Value.Endpoints)
            {
                if (endpoint.Wants(registryEvent))
                {
                    payload ??= JsonSerializer.Serialize(Describe(registryEvent), EventJson.Default.NotificationEvent);
                    entries.Add(new OutboxEntry(endpoint.Name, payload));
                }
            }
            if (payload is not null)
            {
                queued.Add(registryEvent);
            }
        }
        if (entries.Count == 0)
        {
            return;
        }
        try
        {
            await metadata.EnqueueEventsAsync(entries, CancellationToken.None);
            signal.Notify();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The change is committed and the client must hear so; the events are what is lost,
            // each named.
            foreach (var lost in queued)
            {
                Log.EnqueueFailed(logger, lost.Action, lost.Repository.Value, e);
            }
        }
    }

    private NotificationEvent Describe(RegistryEvent e)
    {
        var context = http.HttpContext;
        var request = context?.Request;
        // Distribution links pushed, pulled and mounted content; a deleted thing has no URL.
        string? url = null;
        if (request is not null && e.Digest is { } digest && e.Action != EventActions.Delete)
        {
            url = $"{request.Scheme}://{request.Host}/v2/{e.Repository.Value}/{(e.Kind == EventTargetKind.Blob ? "blobs" : "manifests")}/{digest}";
        }
        var caller = context?.Items.TryGetValue(RegistryAuthorizer.CallerKey, out var known) == true ? known as Caller : null;
        return new NotificationEvent(
            Guid.NewGuid().ToString(),
            time.GetUtcNow(),
            e.Action,
            new EventTarget(e.MediaType, e.Digest?.ToString(), e.Size, e.Size, e.Repository.Value, e.FromRepository?.Value, url, e.Tag),
            new EventRequest(
                // Set from the client's X-Request-Id, or generated, by the request-id middleware.
                context?.TraceIdentifier ?? "",
                context?.Connection.RemoteIpAddress is { } address ? $"{address}:{context.Connection.RemotePort}" : "",
                request?.Host.Value ?? "",
                request?.Method ?? "",
                request?.Headers.UserAgent.ToString() ?? ""),
            new EventActor(caller?.Name ?? ""),
            new EventSource(context is null ? Environment.MachineName : $"{Environment.MachineName}:{context.Connection.LocalPort}", InstanceId));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4000, Level = LogLevel.Error, Message = "A {Action} event of {Repository} could not be queued for notification; it is lost")]
        public static partial void EnqueueFailed(ILogger logger, string action, string repository, Exception exception);
    }
}

/// <summary>Wakes the dispatcher when events are queued, so delivery does not wait for its next poll.</summary>
internal sealed class OutboxSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next <see cref="Notify"/>: take it before looking at the outbox.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Notify() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
