using Microsoft.Extensions.Configuration.Memory;
using Wharf.Configuration;

namespace Wharf.Cli;

/// <summary>The server's configuration sources (Program.cs), weakest first, for the CLI verbs that
/// work on the same stores: defaults, the --config YAML file, appsettings.json, the environment
/// (WHARF_ prefixed too), then the arguments.</summary>
internal static class CliConfiguration
{
    /// <param name="defaults">Settings in place of Wharf's built-in defaults (weakest of all).</param>
    public static IConfiguration Read(string[] args, IReadOnlyDictionary<string, string?>? defaults = null) =>
        Build(
            YamlConfigurationFile.FindArgument(args) is { } configFile ? YamlConfigurationFile.Load(configFile, warnings: Console.Error) : null,
            YamlConfigurationFile.WithoutConfigArgument(args),
            defaults);

    /// <summary>The server's sources around settings already read from a configuration file.</summary>
    public static IConfiguration Build(IReadOnlyDictionary<string, string?>? fileSettings, string[] args, IReadOnlyDictionary<string, string?>? defaults = null)
    {
        var builder = new ConfigurationBuilder()
            .Add(new MemoryConfigurationSource { InitialData = defaults ?? WharfDefaults.Settings });
        if (fileSettings is not null)
        {
            builder.Add(new MemoryConfigurationSource { InitialData = fileSettings });
        }
        return builder
            // The server's host reads ASPNETCORE_URLS and the like as `urls`, over the file.
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddEnvironmentVariables("WHARF_")
            .AddCommandLine(args)
            .Build();
    }

    /// <summary>The storage and metadata settings as the server reads them, with what is wrong with
    /// them (the storage settings matter only where the metadata lives in SQLite).</summary>
    public static (StorageOptions Storage, MetadataOptions Metadata, List<string> Problems) ReadStores(string[] args) =>
        ReadStores(Read(args), storageAlwaysMatters: false);

    /// <param name="storageAlwaysMatters">The verb works on the blobs too (gc, scrub), so the storage
    /// settings are checked whatever the metadata provider.</param>
    public static (StorageOptions Storage, MetadataOptions Metadata, List<string> Problems) ReadStores(IConfiguration configuration, bool storageAlwaysMatters)
    {
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        var metadata = configuration.GetSection(MetadataOptions.Section).Get<MetadataOptions>() ?? new MetadataOptions();
        var problems = metadata.Validate().Concat(metadata.IsPostgres && !storageAlwaysMatters ? [] : storage.Validate()).ToList();
        return (storage, metadata, problems);
    }

    /// <summary>Prints the problems, one a line, under "wharf VERB: fix these settings:".</summary>
    public static async Task WriteProblemsAsync(string verb, IEnumerable<string> problems, TextWriter error)
    {
        await error.WriteLineAsync($"wharf {verb}: fix these settings:");
        foreach (var problem in problems)
        {
            await error.WriteLineAsync($"  - {problem}");
        }
    }
}
