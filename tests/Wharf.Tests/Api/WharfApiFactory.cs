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
        StorageRoot = Path.Combine(Path.GetTempPath(), "wharf-api-" + Guid.NewGuid().ToString("N"));
        _settings = settings.ToDictionary(s => s.Key, s => (string?)s.Value);
        _settings["Storage:Root"] = StorageRoot;
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
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(StorageRoot, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
    }
}
