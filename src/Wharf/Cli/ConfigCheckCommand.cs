using System.Text.RegularExpressions;
using Wharf.Auth;
using Wharf.Configuration;

namespace Wharf.Cli;

/// <summary>
/// <c>wharf config check &lt;file&gt;</c>: reads a configuration file (Wharf's own or distribution's
/// <c>config.yml</c>) with the environment and arguments over it, exactly as the server would, and
/// prints the settings that result (secrets hidden), every warning, and every problem the server
/// would stop on at start. Opens nothing: no storage, no database, no network.
/// </summary>
public static partial class ConfigCheckCommand
{
    public const int Valid = 0;
    public const int HasProblems = 1;
    public const int BadUsage = 2;

    private const string Usage = """
        Usage: wharf config check <file.yaml> [settings]

        Reads the file (Wharf's format, or CNCF distribution's config.yml with its REGISTRY_*
        variables) with the environment (WHARF_*) and the settings given after it, as the server
        does, and prints the settings in effect (secrets hidden), the warnings, and the problems
        that would stop the server. Storage and the metadata store are not opened.
        Exit codes: 0 no problems (warnings allowed), 1 problems found, 2 bad usage or unreadable file.
        """;

    // Wharf's configuration sections, and ASP.NET's `urls`: the environment holds much else
    // (PATH, HOME ...), which is not a setting of the server's.
    private static readonly string[] Sections =
        ["urls", "Storage", "Metadata", "Manifests", "Auth", "Tls", "Limits", "Gc", "Http", "Metrics", "Logging", "Notifications", "Kestrel"];

    // The last name of a key whose value is a credential (Storage:S3:SecretKey, Auth:Token:SigningKey, ...).
    private static readonly string[] SecretNameEndings = ["Password", "Secret", "SecretKey", "SecretAccessKey", "SigningKey", "Token", "ApiKey"];

    // Headers whose values are credentials, wherever headers are configured (Http:Headers, a
    // notification endpoint's Headers).
    private static readonly string[] SecretHeaders = ["Authorization", "Proxy-Authorization", "Cookie"];

    public const string Hidden = "*****";

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, IReadOnlyDictionary<string, string>? registryEnvironment = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        if (args is ["-h" or "--help", ..])
        {
            await output.WriteLineAsync(Usage);
            return Valid;
        }
        if (args is not [var file, ..] || file.StartsWith('-'))
        {
            await error.WriteLineAsync(Usage);
            return BadUsage;
        }
        ConfigurationFileContents contents;
        try
        {
            contents = YamlConfigurationFile.Read(file, registryEnvironment ?? DistributionEnvironment.FromProcess());
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"wharf config check: cannot read {file}: {e.Message}");
            return BadUsage;
        }

        var configuration = CliConfiguration.Build(contents.Settings, args[1..]);
        var problems = new List<string>(contents.Problems);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWharf(configuration);
        services.AddWharfAuth(configuration);
        Events.NotificationServices.AddWharfNotifications(services, configuration);
        Proxy.ProxyServices.AddWharfProxy(services, configuration);
        Ui.UiServices.AddWharfUi(services, configuration);
        using (var provider = services.BuildServiceProvider())
        {
            problems.AddRange(StartupCheck.CheckSettings(provider));
        }

        await output.WriteLineAsync($"{file}: {contents.Format} format");
        await output.WriteLineAsync("Settings in effect:");
        foreach (var (key, value) in EffectiveSettings(configuration))
        {
            await output.WriteLineAsync($"  {key} = {value}");
        }
        await WriteListAsync(output, "Warnings", contents.Warnings);
        await WriteListAsync(output, "Problems", problems);
        await output.WriteLineAsync(problems.Count == 0
            ? "No problems: the server would start with these settings."
            : $"{problems.Count} problem{(problems.Count == 1 ? "" : "s")}: the server would not start.");
        return problems.Count == 0 ? Valid : HasProblems;
    }

    /// <summary>Every Wharf setting with a value, sorted by key, secrets hidden.</summary>
    internal static IEnumerable<(string Key, string Value)> EffectiveSettings(IConfiguration configuration) =>
        configuration.AsEnumerable()
            .Where(pair => pair.Value is not null && Sections.Any(section =>
                pair.Key.Equals(section, StringComparison.OrdinalIgnoreCase) || pair.Key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase)))
            .Select(pair => (pair.Key, Value: Mask(pair.Key, pair.Value!)))
            .OrderBy(pair => pair.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>The value as it may be shown: credentials replaced by <see cref="Hidden"/>, and a
    /// connection string's password taken out of it.</summary>
    internal static string Mask(string key, string value)
    {
        var names = key.Split(':');
        // A list's items are under numbers: Headers:Authorization:0.
        var last = names.Length - 1;
        while (last > 0 && names[last].All(char.IsAsciiDigit))
        {
            last--;
        }
        var name = names[last];
        if (value.Length > 0 && (SecretNameEndings.Any(ending => name.EndsWith(ending, StringComparison.OrdinalIgnoreCase))
            || (last > 0 && names[last - 1].Equals("Headers", StringComparison.OrdinalIgnoreCase) && SecretHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))))
        {
            return Hidden;
        }
        return name.EndsWith("ConnectionString", StringComparison.OrdinalIgnoreCase)
            ? ConnectionStringPassword().Replace(value, match => match.Groups["name"].Value + "=" + Hidden)
            : value;
    }

    // Npgsql's spellings of the password keyword; a value runs to the next ';' (or is quoted).
    [GeneratedRegex("""(?<name>\b(?:Password|Pwd))\s*=\s*(?:"[^"]*"|'[^']*'|[^;]*)""", RegexOptions.IgnoreCase)]
    private static partial Regex ConnectionStringPassword();

    private static async Task WriteListAsync(TextWriter output, string title, IReadOnlyList<string> items)
    {
        if (items.Count == 0)
        {
            await output.WriteLineAsync($"{title}: none");
            return;
        }
        await output.WriteLineAsync($"{title}:");
        foreach (var item in items)
        {
            await output.WriteLineAsync($"  - {item}");
        }
    }
}
