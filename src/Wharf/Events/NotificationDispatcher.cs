using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using Wharf.Metadata;
using Wharf.Operations;

namespace Wharf.Events;

/// <summary>
/// Delivers the outbox: for each endpoint, claims its oldest due events, POSTs them as one
/// envelope, and removes them on a 2xx answer or puts them back with a delay on anything else
/// (<see cref="NotificationEndpoint.Threshold"/> attempts at once, then one every
/// <see cref="NotificationEndpoint.Backoff"/>, for as long as it takes). Every replica runs one;
/// claims are exclusive across processes sharing the store, so each batch goes out through one of
/// them. A process that dies mid-delivery leaves its claim to run out, and the events go out again
/// (at-least-once, same ids).
/// </summary>
/// <remarks>
/// Paused for good in read-only mode: completing a delivery deletes rows, and a read-only registry
/// writes nothing to its store (it may be a copy being migrated, or one a second site only reads).
/// Writable replicas sharing the store deliver what is queued.
/// </remarks>
internal sealed partial class NotificationDispatcher(IMetadataStore metadata, IOptions<NotificationOptions> options, IReadOnlyMode readOnly, OutboxSignal signal, ILogger<NotificationDispatcher> logger) : BackgroundService
{
    public const string EnvelopeMediaType = "application/vnd.docker.distribution.events.v1+json";

    /// <summary>Events per envelope.</summary>
    internal const int BatchSize = 100;

    /// <summary>How often the outbox is looked at without a signal: events queued by other
    /// replicas, and retries coming due.</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>After a failure to read or update the outbox itself.</summary>
    private static readonly TimeSpan StoreRetry = TimeSpan.FromSeconds(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var endpoints = options.Value.Endpoints.Where(e => !e.Disabled).ToList();
        if (endpoints.Count == 0)
        {
            return Task.CompletedTask;
        }
        if (readOnly.IsReadOnly)
        {
            Log.PausedReadOnly(logger, endpoints.Count);
            return Task.CompletedTask;
        }
        return Task.WhenAll(endpoints.Select(e => Task.Run(() => RunAsync(e, stoppingToken), CancellationToken.None)));
    }

    private async Task RunAsync(NotificationEndpoint endpoint, CancellationToken stoppingToken)
    {
        using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
        // Longer than a delivery can take (one Timeout) with the store's update after it, so a claim
        // never runs out while its POST is in flight; short enough that the events of a process
        // killed mid-delivery are soon due again.
        var claimFor = endpoint.Timeout * 2 + TimeSpan.FromSeconds(10);
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = signal.Next;
            TimeSpan? backoff = null;
            try
            {
                var claimed = await metadata.ClaimEventsAsync(endpoint.Name, BatchSize, claimFor, stoppingToken);
                if (claimed.Count > 0)
                {
                    var sequences = claimed.Select(e => e.Sequence).ToList();
                    var delivered = await DeliverAsync(client, endpoint, claimed, stoppingToken);
                    if (delivered == Delivery.Stopped)
                    {
                        // Shutting down mid-delivery: the next process to start sends them at once,
                        // instead of waiting for this claim to run out.
                        await metadata.RetryEventsAsync(sequences, TimeSpan.Zero, CancellationToken.None);
                        return;
                    }
                    if (delivered == Delivery.Done)
                    {
                        await metadata.CompleteEventsAsync(sequences, CancellationToken.None);
                        continue;
                    }
                    // Attempts counts this one: the first Threshold attempts follow each other at once.
                    var delay = claimed.Max(e => e.Attempts) < endpoint.Threshold ? TimeSpan.Zero : endpoint.Backoff;
                    await metadata.RetryEventsAsync(sequences, delay, CancellationToken.None);
                    if (delay == TimeSpan.Zero)
                    {
                        continue;
                    }
                    backoff = delay;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.OutboxFailed(logger, endpoint.Name, e);
                backoff = StoreRetry;
            }
            try
            {
                if (backoff is { } pause)
                {
                    // The endpoint is failing: new events do not hurry the next attempt.
                    await Task.Delay(pause, stoppingToken);
                }
                else
                {
                    await Task.WhenAny(wake, Task.Delay(PollInterval, stoppingToken));
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private enum Delivery
    {
        Done,
        Failed,
        Stopped,
    }

    private async Task<Delivery> DeliverAsync(HttpClient client, NotificationEndpoint endpoint, IReadOnlyList<OutboxEvent> events, CancellationToken stoppingToken)
    {
        // Each payload is one serialized event; the envelope only strings them together.
        var body = new StringBuilder("{\"events\":[");
        for (var i = 0; i < events.Count; i++)
        {
            body.Append(i == 0 ? "" : ",").Append(events[i].Payload);
        }
        body.Append("]}");
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
        {
            Content = new StringContent(body.ToString(), Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(EnvelopeMediaType);
        foreach (var (name, values) in endpoint.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, values);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(endpoint.Timeout);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                Log.Delivered(logger, events.Count, endpoint.Name);
                return Delivery.Done;
            }
            Log.Refused(logger, endpoint.Name, (int)response.StatusCode, events.Count);
            return Delivery.Failed;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return Delivery.Stopped;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            Log.Unreachable(logger, endpoint.Name, events.Count, e is OperationCanceledException ? $"no answer within {endpoint.Timeout}" : e.Message);
            return Delivery.Failed;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Delivered {Count} events to notification endpoint {Endpoint}")]
        public static partial void Delivered(ILogger logger, int count, string endpoint);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Notification endpoint {Endpoint} answered {Status}; {Count} events will be retried")]
        public static partial void Refused(ILogger logger, string endpoint, int status, int count);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Notification endpoint {Endpoint} is unreachable ({Reason}); {Count} events will be retried")]
        public static partial void Unreachable(ILogger logger, string endpoint, int count, string reason);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "The event outbox of notification endpoint {Endpoint} could not be read or updated; will retry")]
        public static partial void OutboxFailed(ILogger logger, string endpoint, Exception exception);

        [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "The registry is read-only: notifications to {Count} endpoints are not delivered by this process")]
        public static partial void PausedReadOnly(ILogger logger, int count);
    }
}
