using Wharf.Distribution;

namespace Wharf.Registry;

/// <summary>A change to a repository that caches of other processes must not miss: a manifest or
/// tag changed (no digest), or a blob unlinked (<see cref="UnlinkedBlob"/>).</summary>
public sealed record RepositoryChange(RepositoryName Repository, Digest? UnlinkedBlob = null);

/// <summary>
/// How the processes sharing one metadata store (replicas of a cluster) tell each other about
/// changes, so that nothing one of them cached outlives a change another made. A client that moves
/// a tag through one replica and pulls through another must see its move: so a change is published
/// before its client is answered, and publishing waits until every replica that may answer from its
/// cache has applied it. A single process has nobody to tell (<see cref="SingleProcessChanges"/>);
/// PostgreSQL uses LISTEN/NOTIFY.
/// </summary>
public interface IReplicaChanges
{
    /// <summary>Whether this process may answer from its caches now: it has applied every change
    /// whose client another replica could have answered by now. Always, for one process; for a
    /// replica, while it hears the others without delay. While it is false, nothing that another
    /// replica could change is cached or served from a cache.</summary>
    bool IsCurrent { get; }

    /// <summary>Tells the other processes about a change this one has committed, and returns once
    /// every other process that could answer from its cache has applied it (or, for one that does
    /// not confirm in time, once it can no longer be answering from its cache). A failure to publish
    /// is logged, not thrown: the change is committed, and cached answers expire within seconds.</summary>
    Task PublishAsync(RepositoryChange change, CancellationToken cancellationToken);

    /// <summary>A change that another process committed.</summary>
    event Action<RepositoryChange>? ChangedElsewhere;

    /// <summary>Changes may have been missed (e.g. the channel was down): drop every cached entry.</summary>
    event Action? ChangesMayBeMissed;
}

/// <summary>The one process there is: nothing to tell, nothing to hear.</summary>
public sealed class SingleProcessChanges : IReplicaChanges
{
    public bool IsCurrent => true;

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
