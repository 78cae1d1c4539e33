using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Wharf.Distribution;
using Wharf.Events;
using Wharf.Metadata;
using Wharf.Operations;

namespace Wharf.Tests.Notifications;

/// <summary>The outbox sink on its own: which rows it writes for events, and in how many writes.</summary>
public sealed class OutboxEventSinkTests
{
    private static readonly RepositoryName Repository = RepositoryName.Parse("events/app");
    private static readonly Digest Manifest = Digest.Parse("sha256:" + new string('a', 64));

    private static RegistryEvent Push(string tag) =>
        new(EventActions.Push, EventTargetKind.Manifest, Repository, Manifest, "application/vnd.oci.image.manifest.v1+json", 123, tag);

    private static OutboxEventSink Sink(EnqueueRecorder store, params NotificationEndpoint[] endpoints) => new(
        EnqueueRecorder.Wrap(store),
        Options.Create(new NotificationOptions { Endpoints = [.. endpoints] }),
        new Writable(),
        new HttpContextAccessor(),
        new OutboxSignal(),
        TimeProvider.System,
        NullLogger<OutboxEventSink>.Instance);

    [Fact]
    public async Task RecordAsync_SeveralEvents_OneWriteWithARowPerWantingEndpoint()
    {
        var store = new EnqueueRecorder();
        var sink = Sink(store,
            new NotificationEndpoint { Name = "one", Url = "http://127.0.0.1:9/one" },
            new NotificationEndpoint { Name = "no-pushes", Url = "http://127.0.0.1:9/none", Ignore = { Actions = [EventActions.Push] } },
            new NotificationEndpoint { Name = "two", Url = "http://127.0.0.1:9/two" });

        await RecordAsync(sink, [Push("a"), Push("b")]);

        var write = Assert.Single(store.Writes);
        Assert.Equal(["one", "two", "one", "two"], write.Select(e => e.Destination));
        // Each event is one payload for every endpoint (one event id), and the two events differ.
        Assert.Equal(write[0].Payload, write[1].Payload);
        Assert.Equal(write[2].Payload, write[3].Payload);
        Assert.Equal(["a", "b"], write.Where(e => e.Destination == "one").Select(e => Tag(e.Payload)));
    }

    [Fact]
    public async Task RecordAsync_NoEndpointWantsTheEvents_WritesNothing()
    {
        var store = new EnqueueRecorder();
        var sink = Sink(store, new NotificationEndpoint { Name = "off", Url = "http://127.0.0.1:9/off", Disabled = true });

        await RecordAsync(sink, [Push("a"), Push("b")]);

        Assert.Empty(store.Writes);
    }

    // Through the interface, as the registry's services call the sink.
    private static Task RecordAsync(IRegistryEvents sink, IReadOnlyList<RegistryEvent> events) => sink.RecordAsync(events);

    private static string? Tag(string payload)
    {
        using var document = JsonDocument.Parse(payload);
        return document.RootElement.GetProperty("target").GetProperty("tag").GetString();
    }

    private sealed class Writable : IReadOnlyMode
    {
        public bool IsReadOnly => false;
    }

    /// <summary>A metadata store that only takes outbox writes, and keeps each one.</summary>
    public class EnqueueRecorder : DispatchProxy
    {
        private EnqueueRecorder _owner = null!;

        public List<List<OutboxEntry>> Writes { get; } = [];

        public static IMetadataStore Wrap(EnqueueRecorder owner)
        {
            var proxy = Create<IMetadataStore, EnqueueRecorder>();
            ((EnqueueRecorder)(object)proxy)._owner = owner;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name != nameof(IMetadataStore.EnqueueEventsAsync))
            {
                throw new NotSupportedException(targetMethod?.Name);
            }
            _owner.Writes.Add([.. (IReadOnlyCollection<OutboxEntry>)args![0]!]);
            return Task.CompletedTask;
        }
    }
}
