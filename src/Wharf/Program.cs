using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using Wharf.Api;
using Wharf.Cli;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Storage;

// `wharf import <root>` adopts a registry:2 data directory, then exits; anything else serves.
if (args is ["import", ..])
{
    return await ImportCommand.RunAsync(args[1..]);
}

var builder = WebApplication.CreateBuilder(args);

// Wharf's defaults sit beneath every other source, so any file, variable or argument overrides them.
builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = WharfDefaults.Settings });

// Every setting can come from the environment with the WHARF_ prefix (WHARF_Storage__Root);
// the command line is added again so that it still wins over the environment.
builder.Configuration.AddEnvironmentVariables("WHARF_");
builder.Configuration.AddCommandLine(args);

builder.WebHost.ConfigureKestrel(kestrel =>
{
    // Blobs are streamed to disk, so the body size is not limited here; manifests have their own limit.
    kestrel.Limits.MaxRequestBodySize = null;
    kestrel.AddServerHeader = false;
});

builder.Services.AddWharf(builder.Configuration);

var app = builder.Build();

// Open storage and migrate the metadata now: a bad root or database stops the server at start,
// not at its first push.
try
{
    app.Services.GetRequiredService<IBlobStorage>();
    app.Services.GetRequiredService<IMetadataStore>();
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine("Wharf cannot start; fix these settings:");
    foreach (var failure in e.Failures)
    {
        Console.Error.WriteLine($"  - {failure}");
    }
    return 2;
}

app.UseRegistryErrors();
app.MapRegistryApi();
app.Run();
return 0;

/// <summary>The entry point, visible to the in-process API tests.</summary>
public partial class Program;
