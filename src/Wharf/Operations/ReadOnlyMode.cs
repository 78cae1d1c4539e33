using Microsoft.Extensions.Options;
using Wharf.Configuration;

namespace Wharf.Operations;

/// <summary>Whether the registry refuses writes (<c>Storage:ReadOnly</c>): pushes and deletes get
/// 405 UNSUPPORTED, pulls go on, and background work that writes (the upload purge, later GC)
/// pauses while it is on.</summary>
public interface IReadOnlyMode
{
    bool IsReadOnly { get; }
}

internal sealed class ReadOnlyMode(IOptions<StorageOptions> storage) : IReadOnlyMode
{
    public bool IsReadOnly { get; } = storage.Value.ReadOnly;
}
