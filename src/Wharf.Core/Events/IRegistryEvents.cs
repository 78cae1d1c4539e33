using Wharf.Distribution;

namespace Wharf.Events;

/// <summary>Actions a registry event names, spelled as distribution's notifications spell them.</summary>
public static class EventActions
{
    public const string Push = "push";
    public const string Pull = "pull";
    public const string Mount = "mount";
    public const string Delete = "delete";

    public static bool IsKnown(string action) => action is Push or Pull or Mount or Delete;
}

/// <summary>What an event is about: distribution reports manifests and blobs by digest, and a
/// deleted tag by its name alone.</summary>
public enum EventTargetKind
{
    Manifest,
    Blob,
    Tag,
}

/// <summary>Something that happened to content: a manifest or blob pushed, pulled, mounted or
/// deleted, a tag deleted. <see cref="MediaType"/> and <see cref="Size"/> are unknown for deletes.</summary>
public sealed record RegistryEvent(string Action, EventTargetKind Kind, RepositoryName Repository, Digest? Digest, string? MediaType = null, long? Size = null, string? Tag = null)
{
    /// <summary>For a mount: the repository the blob was mounted from, when the client named one.</summary>
    public RepositoryName? FromRepository { get; init; }
}

/// <summary>
/// Where the registry's services report what they changed, right after the change is committed
/// and before the client is answered. The services know nothing of webhooks; an implementation
/// decides what to do with an event (Wharf's queues it in the metadata store's outbox for
/// delivery). Recording must be quick and must not fail the operation that already succeeded.
/// </summary>
public interface IRegistryEvents
{
    Task RecordAsync(RegistryEvent registryEvent);

    /// <summary>The events of one operation, in order (a push that sets several tags has one per
    /// tag): an implementation that writes them somewhere writes them together, once.</summary>
    /// <remarks>By default, each in turn, so an implementation with nothing to gain need not write this.</remarks>
    async Task RecordAsync(IReadOnlyList<RegistryEvent> registryEvents)
    {
        foreach (var registryEvent in registryEvents)
        {
            await RecordAsync(registryEvent);
        }
    }
}

/// <summary>No one listens: what the services use when nothing else is registered.</summary>
public sealed class NoRegistryEvents : IRegistryEvents
{
    public static readonly NoRegistryEvents Instance = new();

    public Task RecordAsync(RegistryEvent registryEvent) => Task.CompletedTask;

    public Task RecordAsync(IReadOnlyList<RegistryEvent> registryEvents) => Task.CompletedTask;
}
