namespace Wharf.Auth;

/// <summary>
/// The access rules of the configuration, evaluated for a user and a repository: admins may do
/// everything; anyone may pull what <see cref="AuthOptions.AnonymousPull"/> lists; signed-in users
/// get the union of the rules that name them, their groups or <c>*</c>. With no rules, every
/// signed-in user may do everything.
/// </summary>
public sealed class AccessPolicy
{
    private readonly HashSet<string> _admins;
    private readonly Dictionary<string, HashSet<string>> _groupsOfUser = new(StringComparer.Ordinal);
    private readonly List<(RepositoryPattern[] Repositories, HashSet<string> Users, HashSet<string> Groups, RegistryAction Actions)> _rules;
    private readonly RepositoryPattern[] _anonymousPull;

    public AccessPolicy(AuthOptions options)
    {
        _admins = new HashSet<string>(options.Admins, StringComparer.Ordinal);
        foreach (var (group, members) in options.Groups)
        {
            foreach (var member in members)
            {
                if (!_groupsOfUser.TryGetValue(member, out var groups))
                {
                    _groupsOfUser[member] = groups = new HashSet<string>(StringComparer.Ordinal);
                }
                groups.Add(group);
            }
        }
        _rules = options.Rules.Select(rule => (
            rule.Repositories.Select(p => new RepositoryPattern(p)).ToArray(),
            new HashSet<string>(rule.Users, StringComparer.Ordinal),
            new HashSet<string>(rule.Groups, StringComparer.Ordinal),
            rule.Actions.Aggregate(RegistryAction.None, (all, a) => all | RegistryActions.Parse(a)))).ToList();
        _anonymousPull = options.AnonymousPull.Select(p => new RepositoryPattern(p)).ToArray();
    }

    /// <summary>What <paramref name="user"/> (null: anonymous) may do on <paramref name="repository"/>.</summary>
    public RegistryAction Allowed(string? user, string repository)
    {
        var allowed = _anonymousPull.Any(p => p.Matches(repository)) ? RegistryAction.Pull : RegistryAction.None;
        if (user is null)
        {
            return allowed;
        }
        if (_admins.Contains(user) || _rules.Count == 0)
        {
            return RegistryAction.All;
        }
        var groups = _groupsOfUser.GetValueOrDefault(user);
        foreach (var rule in _rules)
        {
            var applies = rule.Users.Contains(user) || rule.Users.Contains("*") || (groups is not null && rule.Groups.Overlaps(groups));
            if (applies && rule.Repositories.Any(p => p.Matches(repository)))
            {
                allowed |= rule.Actions;
            }
        }
        return allowed;
    }

    /// <summary>Whether the user may list the whole catalog (admins only; others see what they may pull).</summary>
    public bool IsAdmin(string? user) => user is not null && (_admins.Contains(user) || _rules.Count == 0);
}
