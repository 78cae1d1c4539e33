using Wharf.Distribution;

namespace Wharf.Proxy;

/// <summary>Errors of the pull-through cache: what an upstream has or could not give, pushes refused.</summary>
internal static class ProxyErrors
{
    /// <summary>The detail, naming the upstream and why, is the message too: clients print the
    /// message (skopeo, podman), and "manifest unknown" alone would hide that the upstream is down.</summary>
    public static RegistryException Explained(ErrorCode code, string detail) => new(code, detail) { ClientMessage = detail };
}
