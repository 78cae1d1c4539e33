using System.Collections;
using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Wharf.Configuration;

/// <summary>
/// distribution's <c>REGISTRY_*</c> environment variables, applied onto its parsed configuration
/// the way distribution applies them: the name after <c>REGISTRY_</c> is the key path with
/// <c>_</c> between levels (<c>REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY</c> sets
/// <c>storage.filesystem.rootdirectory</c>), matched without regard to case, and the value is read
/// as YAML, so <c>REGISTRY_HTTP_HEADERS='{X-Frame-Options: [DENY]}'</c> sets a whole mapping.
/// They are applied only with a distribution <c>config.yml</c>: a Wharf file is configured with
/// <c>WHARF_</c> variables, and <c>REGISTRY_</c> names are common enough elsewhere (Kubernetes
/// makes <c>REGISTRY_PORT</c> for a service called "registry") that they must not change a Wharf
/// that was never given a distribution file.
/// </summary>
public static class DistributionEnvironment
{
    public const string Prefix = "REGISTRY_";

    /// <summary>Where distribution reads its configuration file from; Wharf takes the file from
    /// <c>--config</c>, so this one names no setting.</summary>
    private const string ConfigurationPathVariable = "REGISTRY_CONFIGURATION_PATH";

    // Children of `storage` that are not a storage driver: setting REGISTRY_STORAGE=s3 swaps the
    // driver and keeps these.
    internal static readonly string[] StorageSettingsBesideDriver = ["delete", "maintenance", "cache", "redirect", "tag"];

    /// <summary>The process's <c>REGISTRY_*</c> variables.</summary>
    public static IReadOnlyDictionary<string, string> FromProcess()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && entry.Value is string value)
            {
                variables[name] = value;
            }
        }
        return variables;
    }

    /// <summary>Applies every <c>REGISTRY_*</c> variable onto <paramref name="root"/>; each node a
    /// variable put there is recorded in <paramref name="origins"/> with the variable's name, so a
    /// warning about it can say where it came from.</summary>
    public static void Apply(YamlMappingNode root, IReadOnlyDictionary<string, string> environment, Dictionary<YamlNode, string> origins)
    {
        // Shallow paths first, so REGISTRY_STORAGE=s3 picks the driver before REGISTRY_STORAGE_S3_BUCKET fills it.
        var variables = environment
            .Where(v => v.Key.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
                && !v.Key.Equals(ConfigurationPathVariable, StringComparison.OrdinalIgnoreCase))
            .Select(v => (Name: v.Key, Path: v.Key[Prefix.Length..].ToLowerInvariant().Split('_'), v.Value))
            .Where(v => v.Path.All(segment => segment.Length > 0))
            .OrderBy(v => v.Path.Length)
            .ThenBy(v => v.Name, StringComparer.Ordinal);
        foreach (var (name, path, value) in variables)
        {
            var node = ParseValue(value);
            origins[node] = name;
            if (path is ["storage"] && node is YamlScalarNode { Value: { Length: > 0 } driver })
            {
                SelectStorageDriver(root, driver, name, origins);
                continue;
            }
            Set(root, path, node, name, origins);
        }
    }

    private static void Set(YamlMappingNode root, string[] path, YamlNode value, string variable, Dictionary<YamlNode, string> origins)
    {
        YamlNode parent = root;
        for (var i = 0; i < path.Length - 1; i++)
        {
            var next = parent switch
            {
                YamlMappingNode map => DistributionConfiguration.Child(map, path[i]),
                YamlSequenceNode list when int.TryParse(path[i], NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < list.Children.Count => list.Children[index],
                _ => null,
            };
            if (next is not YamlMappingNode and not YamlSequenceNode)
            {
                next = new YamlMappingNode();
                origins[next] = variable;
                Put(parent, path[i], next);
            }
            parent = next;
        }
        Put(parent, path[^1], value);
    }

    private static void Put(YamlNode parent, string name, YamlNode value)
    {
        switch (parent)
        {
            case YamlMappingNode map:
                var existing = map.Children.Keys.FirstOrDefault(k => k is YamlScalarNode s && string.Equals(s.Value, name, StringComparison.OrdinalIgnoreCase));
                if (existing is null)
                {
                    map.Children.Add(new YamlScalarNode(name), value);
                }
                else
                {
                    map.Children[existing] = value;
                }
                break;
            case YamlSequenceNode list:
                // Only reached with an index inside the list (checked by the caller's walk).
                list.Children[int.Parse(name, CultureInfo.InvariantCulture)] = value;
                break;
        }
    }

    // distribution's REGISTRY_STORAGE=<driver>: the named driver replaces the file's one; its
    // parameters come from the file if it already named that driver, else from REGISTRY_STORAGE_<DRIVER>_*.
    private static void SelectStorageDriver(YamlMappingNode root, string driver, string variable, Dictionary<YamlNode, string> origins)
    {
        if (DistributionConfiguration.Child(root, "storage") is not YamlMappingNode storage)
        {
            storage = new YamlMappingNode();
            origins[storage] = variable;
            Put(root, "storage", storage);
        }
        foreach (var key in storage.Children.Keys.OfType<YamlScalarNode>().ToList())
        {
            if (!StorageSettingsBesideDriver.Contains(key.Value, StringComparer.OrdinalIgnoreCase)
                && !string.Equals(key.Value, driver, StringComparison.OrdinalIgnoreCase))
            {
                storage.Children.Remove(key);
            }
        }
        if (DistributionConfiguration.Child(storage, driver) is null)
        {
            var parameters = new YamlMappingNode();
            origins[parameters] = variable;
            Put(storage, driver.ToLowerInvariant(), parameters);
        }
    }

    // Read as YAML like distribution does, so a mapping or a list can be given; anything that is
    // not one of those is the text as written (no YAML quoting rules applied to a plain value).
    private static YamlNode ParseValue(string value)
    {
        if (value.TrimStart().StartsWith('{') || value.TrimStart().StartsWith('['))
        {
            try
            {
                var stream = new YamlStream();
                stream.Load(new StringReader(value));
                if (stream.Documents is [{ RootNode: YamlMappingNode or YamlSequenceNode } document])
                {
                    return document.RootNode;
                }
            }
            catch (YamlDotNet.Core.YamlException)
            {
                // Not YAML: taken as text.
            }
        }
        return new YamlScalarNode(value);
    }
}
