using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Wharf.Tests.Api;

/// <summary>Wharf in process, on a storage root of its own that is deleted afterwards.</summary>
public sealed class WharfApiFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public WharfApiFactory()
        : this([])
    {
    }

    internal WharfApiFactory(params (string Key, string Value)[] settings)
    {
        _settings = settings.ToDictionary(s => s.Key, s => (string?)s.Value);
        // A test may serve another factory's data directory (given as Storage:Root).
        StorageRoot = _settings.GetValueOrDefault("Storage:Root") ?? Path.Combine(Path.GetTempPath(), "wharf-api-" + Guid.NewGuid().ToString("N"));
        _settings["Storage:Root"] = StorageRoot;
        // The request log would print a line per request of every in-process test into the test
        // run's output; a test that wants it sets the level itself.
        _settings.TryAdd("Logging:LogLevel:Wharf.Requests", "Warning");
    }

    public string StorageRoot { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            SqlitePools.ReleaseUnder(StorageRoot);
            // The server may still be finishing its shutdown on its own thread (the factory does not
            // wait for Program's host to be disposed), closing files as the delete walks the tree.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    Directory.Delete(StorageRoot, recursive: true);
                    return;
                }
                catch (DirectoryNotFoundException)
                {
                    return;
                }
                catch (IOException) when (attempt < 20)
                {
                    Thread.Sleep(50);
                }
            }
        }
    }
}
