using Wharf.Distribution;

namespace Wharf.Registry;

/// <summary>A change to a repository that caches of other processes must not miss: a manifest or
/// tag written or deleted, or (with <see cref="UnlinkedBlob"/>) a blob unlinked.</summary>
public sealed record RepositoryChange(RepositoryName Repository, Digest? UnlinkedBlob = null);

/// <summary>
/// How the processes sharing one metadata store (replicas of a cluster) tell each other about
/// changes, so that what one of them cached is dropped as soon as another changes it. A single
/// process has nobody to tell (<see cref="SingleProcessChanges"/>); PostgreSQL uses LISTEN/NOTIFY.
/// </summary>
public interface IReplicaChanges
{
    /// <summary>Whether other processes write to the same metadata store. Then nothing that can
    /// change (which manifest a tag names) is answered from memory: a notification can reach
    /// another replica a moment after the writer's client was answered, and a client that pushes
    /// through one replica and pulls through another must see its push. Content-addressed bytes,
    /// which never change, are cached either way.</summary>
    bool IsShared { get; }

    /// <summary>Tells the other processes about a change this one has committed; returns once the
    /// channel has carried it, so that the client is answered only after the others were told.</summary>
    Task PublishAsync(RepositoryChange change, CancellationToken cancellationToken);

    /// <summary>A change that another process committed.</summary>
    event Action<RepositoryChange>? ChangedElsewhere;

    /// <summary>Changes may have been missed (e.g. the channel was down): drop every cached entry.</summary>
    event Action? ChangesMayBeMissed;
}

/// <summary>The one process there is: nothing to tell, nothing to hear.</summary>
public sealed class SingleProcessChanges : IReplicaChanges
{
    public bool IsShared => false;

    public Task PublishAsync(RepositoryChange change, CancellationToken cancellationToken) => Task.CompletedTask;

    public event Action<RepositoryChange>? ChangedElsewhere
    {
        add { }
        remove { }
    }

    public event Action? ChangesMayBeMissed
    {
        add { }
        remove { }
    }
}
