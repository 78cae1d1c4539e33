using Wharf.Registry;

namespace Wharf.Core.Tests.TestSupport;

/// <summary>Replica changes a test raises by hand, recording what this process published.</summary>
public sealed class FakeReplicaChanges : IReplicaChanges
{
    public List<RepositoryChange> Published { get; } = [];

    public bool IsCurrent { get; set; } = true;

    public event Action<RepositoryChange>? ChangedElsewhere;

    public event Action? ChangesMayBeMissed;

    public Task PublishAsync(RepositoryChange change, CancellationToken cancellationToken)
    {
        lock (Published)
        {
            Published.Add(change);
        }
        return Task.CompletedTask;
    }

    public void RaiseChangedElsewhere(RepositoryChange change) => ChangedElsewhere?.Invoke(change);

    public void RaiseChangesMayBeMissed() => ChangesMayBeMissed?.Invoke();
}
