using Microsoft.Extensions.Configuration.Memory;
using Wharf.Configuration;

namespace Wharf.Cli;

/// <summary>The server's configuration sources (Program.cs), weakest first, for the CLI verbs that
/// work on the same stores: defaults, the --config YAML file, appsettings.json, the environment
/// (WHARF_ prefixed too), then the arguments.</summary>
internal static class CliConfiguration
{
    public static IConfiguration Read(string[] args)
    {
        var builder = new ConfigurationBuilder()
            .Add(new MemoryConfigurationSource { InitialData = WharfDefaults.Settings });
        if (YamlConfigurationFile.FindArgument(args) is { } configFile)
        {
            builder.Add(new MemoryConfigurationSource { InitialData = YamlConfigurationFile.Load(configFile) });
        }
        return builder
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddEnvironmentVariables("WHARF_")
            .AddCommandLine(YamlConfigurationFile.WithoutConfigArgument(args))
            .Build();
    }
}
