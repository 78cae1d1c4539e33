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

    public static Dictionary<string, string?> Load(string path)
    {
        var full = Path.GetFullPath(path);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [DirectoryKey] = Path.GetDirectoryName(full),
        };
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
        if (stream.Documents.Count > 0)
        {
            if (stream.Documents[0].RootNode is not YamlMappingNode)
            {
                throw new InvalidDataException($"{path}: the top level must be a mapping of settings (Section: value)");
            }
            Flatten(stream.Documents[0].RootNode, prefix: null, values, path);
        }
        return values;
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
