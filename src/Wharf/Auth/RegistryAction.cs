namespace Wharf.Auth;

/// <summary>What a request does to a repository, in the token protocol's vocabulary.</summary>
[Flags]
public enum RegistryAction
{
    None = 0,
    Pull = 1,
    Push = 2,
    Delete = 4,
    All = Pull | Push | Delete,
}

public static class RegistryActions
{
    public static RegistryAction Parse(string action) => action.Trim().ToLowerInvariant() switch
    {
        "pull" => RegistryAction.Pull,
        "push" => RegistryAction.Push,
        "delete" => RegistryAction.Delete,
        "*" => RegistryAction.All,
        _ => RegistryAction.None,
    };

    public static bool IsKnown(string action) => Parse(action) != RegistryAction.None;

    /// <summary>The protocol's spelling, e.g. <c>pull,push</c>.</summary>
    public static string Format(RegistryAction actions) =>
        string.Join(',', new[] { (RegistryAction.Pull, "pull"), (RegistryAction.Push, "push"), (RegistryAction.Delete, "delete") }
            .Where(a => actions.HasFlag(a.Item1)).Select(a => a.Item2));

    public static IEnumerable<string> Names(RegistryAction actions) => Format(actions).Split(',', StringSplitOptions.RemoveEmptyEntries);
}
