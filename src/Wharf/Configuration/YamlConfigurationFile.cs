using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Wharf.Configuration;

/// <summary>
/// Reads a YAML configuration file (<c>--config wharf.yaml</c>) into ASP.NET configuration keys:
/// mappings become <c>Section:Key</c>, sequences <c>Section:0</c>, <c>Section:1</c>, so the YAML
/// says exactly what an environment variable or an argument would.
/// </summary>
public static class YamlConfigurationFile
{
    /// <summary>The key under which the file's directory is recorded: relative paths inside the file
    /// (an htpasswd file, a certificate) are taken from there, not from wherever Wharf was started.</summary>
    public const string DirectoryKey = "Wharf:ConfigDirectory";

    /// <summary>The file's settings; a distribution <c>config.yml</c> (see
    /// <see cref="DistributionConfiguration"/>) is mapped onto Wharf's keys, with the process's
    /// <c>REGISTRY_*</c> variables applied first. Its warnings are written to
    /// <paramref name="warnings"/>; settings Wharf cannot follow throw.</summary>
    /// <exception cref="InvalidDataException">Not YAML, not a mapping, or a distribution setting Wharf cannot follow.</exception>
    public static Dictionary<string, string?> Load(string path, TextWriter? warnings = null)
    {
        var contents = Read(path, DistributionEnvironment.FromProcess());
        if (contents.Problems.Count > 0)
        {
            throw new InvalidDataException($"{path}: " + string.Join("; ", contents.Problems));
        }
        foreach (var warning in contents.Warnings)
        {
            warnings?.WriteLine($"warning: {path}: {warning}");
        }
        return contents.Settings;
    }

    /// <summary>The file's settings, warnings and problems, without acting on them; a distribution
    /// file gets the <c>REGISTRY_*</c> variables of <paramref name="environment"/>.</summary>
    /// <exception cref="InvalidDataException">Not YAML, or not a mapping of settings.</exception>
    public static ConfigurationFileContents Read(string path, IReadOnlyDictionary<string, string> environment)
    {
        var full = Path.GetFullPath(path);
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(full);
            stream.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{path}: not valid YAML at line {e.Start.Line}: {e.Message}", e);
        }
        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is not YamlMappingNode)
        {
            throw new InvalidDataException($"{path}: the top level must be a mapping of settings (Section: value)");
        }
        if (stream.Documents.Count > 0 && DistributionConfiguration.IsDistributionFormat((YamlMappingNode)stream.Documents[0].RootNode))
        {
            // Relative paths stay relative to the working directory, as distribution takes them.
            return DistributionConfiguration.Map((YamlMappingNode)stream.Documents[0].RootNode, environment);
        }
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [DirectoryKey] = Path.GetDirectoryName(full),
        };
        if (stream.Documents.Count > 0)
        {
            Flatten(stream.Documents[0].RootNode, prefix: null, values, path);
        }
        return new ConfigurationFileContents(ConfigurationFileContents.WharfFormat, values, [], []);
    }

    /// <summary>The value of <c>--config</c> in the command line, if any.</summary>
    public static string? FindArgument(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--config" or "-c" && i + 1 < args.Length)
            {
                return args[i + 1];
            }
            if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                return args[i]["--config=".Length..];
            }
        }
        return null;
    }

    /// <summary>The command line without <c>--config &lt;file&gt;</c>, for the command-line source.</summary>
    public static string[] WithoutConfigArgument(string[] args)
    {
        var rest = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--config" or "-c" && i + 1 < args.Length)
            {
                i++;
                continue;
            }
            if (!args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                rest.Add(args[i]);
            }
        }
        return [.. rest];
    }

    private static void Flatten(YamlNode node, string? prefix, Dictionary<string, string?> values, string path)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, child) in mapping.Children)
                {
                    if (key is not YamlScalarNode { Value: { Length: > 0 } name })
                    {
                        throw new InvalidDataException($"{path}: line {key.Start.Line}: a setting's name must be plain text");
                    }
                    Flatten(child, prefix is null ? name : $"{prefix}:{name}", values, path);
                }
                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    Flatten(sequence.Children[i], $"{prefix}:{i.ToString(CultureInfo.InvariantCulture)}", values, path);
                }
                break;
            case YamlScalarNode scalar when prefix is not null:
                // An unquoted YAML null (~, null, or nothing) clears the setting; a quoted "null" is text.
                values[prefix] = scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is "~" or "null" or "Null" or "NULL" or "" ? null : scalar.Value;
                break;
            default:
                throw new InvalidDataException($"{path}: the top level must be a mapping of settings");
        }
    }
}

/// <summary>What a configuration file says: its settings as Wharf keys, warnings about settings
/// that are ignored, and problems (settings Wharf cannot follow).</summary>
public sealed record ConfigurationFileContents(
    string Format,
    Dictionary<string, string?> Settings,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<string> Problems)
{
    public const string WharfFormat = "Wharf";
    public const string DistributionFormat = "CNCF distribution (registry:2)";
}
