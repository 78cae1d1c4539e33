namespace Wharf.Registry;

/// <summary>The registry's rules that configuration can change.</summary>
public sealed record RegistryPolicy
{
    /// <summary>Whether manifests, tags and blob links may be deleted (otherwise 405 UNSUPPORTED).</summary>
    public bool DeleteEnabled { get; init; } = true;
}
