using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using Wharf.Api;
using Wharf.Auth;
using Wharf.Cli;
using Wharf.Configuration;
using Wharf.Events;
using Wharf.Gc;
using Wharf.Observability;
using Wharf.Operations;
using Wharf.Proxy;
using Wharf.Server;
using Wharf.Ui;

// `wharf import <root>` adopts a registry:2 data directory, `wharf metadata copy` moves an SQLite
// store into PostgreSQL, `wharf migrate` brings the metadata schema up to date, `wharf gc` collects
// garbage now, `wharf scrub` checks every blob's bytes, `wharf config check` reports what a
// configuration file sets and what is wrong with it; each then exits.
// Anything else serves.
if (args is ["import", ..])
{
    return await ImportCommand.RunAsync(args[1..]);
}
if (args is ["metadata", "copy", ..])
{
    return await MetadataCopyCommand.RunAsync(args[2..]);
}
if (args is ["migrate", ..])
{
    return await MigrateCommand.RunAsync(args[1..]);
}
if (args is ["gc", ..])
{
    return await GcCommand.RunAsync(args[1..]);
}
if (args is ["scrub", ..])
{
    return await ScrubCommand.RunAsync(args[1..]);
}
if (args is ["config", "check", ..])
{
    return await ConfigCheckCommand.RunAsync(args[2..]);
}

var configFile = YamlConfigurationFile.FindArgument(args);
args = YamlConfigurationFile.WithoutConfigArgument(args);
// Configuration is read once, at start-up. ASP.NET's default of reloading it on change watches the
// working directory recursively (on Linux one inotify watch per subdirectory, added before the server
// listens), and the default data directory, ./data, lies inside it: on a large store start-up walked
// every blob's directory (36 s with 7.7 million inodes below the working directory, against 0.4 s)
// and could run out of inotify watches.
var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);

// Sources, weakest first: Wharf's defaults, the --config YAML file, then ASP.NET's own (appsettings,
// environment), the WHARF_ environment variables (WHARF_Storage__Root), and the command line last.
builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = WharfDefaults.Settings });
if (configFile is not null)
{
    try
    {
        builder.Configuration.Sources.Insert(1, new MemoryConfigurationSource { InitialData = YamlConfigurationFile.Load(configFile, warnings: Console.Error) });
    }
    catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"Wharf cannot read its configuration: {e.Message}");
        return 2;
    }
}
builder.Configuration.AddEnvironmentVariables("WHARF_");
builder.Configuration.AddCommandLine(args);

builder.Logging.UseWharfLogFormat(builder.Configuration);
MetricsListener.AddMetricsUrls(builder);
builder.Services.AddWharf(builder.Configuration);
builder.Services.AddWharfAuth(builder.Configuration);
builder.Services.AddWharfNotifications(builder.Configuration);
builder.Services.AddWharfProxy(builder.Configuration);
builder.Services.AddWharfUi(builder.Configuration);
builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
builder.Services.AddHostedService<IdleMemoryTrim>();

var limits = builder.Configuration.GetSection(LimitOptions.Section).Get<LimitOptions>() ?? new LimitOptions();
var tls = builder.Configuration.GetSection(TlsOptions.Section).Get<TlsOptions>() ?? new TlsOptions();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    // Blobs are streamed to disk, so the body size is not limited here; manifests have their own limit.
    kestrel.Limits.MaxRequestBodySize = null;
    kestrel.Limits.MaxRequestHeadersTotalSize = limits.MaxRequestHeaderBytes;
    kestrel.AddServerHeader = false;
    if (tls.Enabled && !tls.Validate().Any())
    {
        var certificate = X509Certificate2.CreateFromPemFile(tls.Certificate!, tls.Key);
        kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
        kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Protocols = HttpProtocols.Http1AndHttp2);
    }
});

BufferedStandardOutput.Install();
var app = builder.Build();

var problems = StartupCheck.Run(app.Services);
if (problems.Count > 0)
{
    Console.Error.WriteLine("Wharf cannot start; fix these settings:");
    foreach (var problem in problems)
    {
        Console.Error.WriteLine($"  - {problem}");
    }
    return 2;
}

IdleMemoryTrim.UseIdleTracking(app);
app.UseMetricsListener();
app.UseMiddleware<RequestTelemetry>();
app.UseRegistryErrors();
app.UseResponseHeaders();
app.MapTokenService();
app.MapWharfHealthChecks();
app.MapGcEndpoints();
app.MapReadOnlyEndpoints();
app.MapWharfUi();
app.MapRegistryApi();
app.Run();
return 0;

/// <summary>The entry point, visible to the in-process API tests.</summary>
public partial class Program;
