using System.Net;
using System.Text.Json;
using Wharf.Tests.Api;
using Wharf.Tests.Auth;

namespace Wharf.Tests.Observability;

/// <summary><c>/healthz</c> and <c>/readyz</c>: outside the registry API, never behind sign-in.</summary>
public sealed class HealthApiTests
{
    [Fact]
    public async Task Healthz_ProcessAnswers_Is200()
    {
        using var factory = new WharfApiFactory();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_StoreAnswersAndStorageWritable_Is200WithEachCheck()
    {
        using var factory = new WharfApiFactory();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("checks");
        foreach (var name in new[] { "metadata", "storage", "shutdown" })
        {
            Assert.Equal("Healthy", checks.GetProperty(name).GetProperty("status").GetString());
        }
        Assert.Equal("writable", checks.GetProperty("storage").GetProperty("description").GetString());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Readyz_LessFreeSpaceThanMinFreeBytes_Is503AndSaysWhy()
    {
        using var factory = new WharfApiFactory(("Storage:MinFreeBytes", long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var storage = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("checks").GetProperty("storage");
        Assert.Equal("Unhealthy", storage.GetProperty("status").GetString());
        Assert.Contains("Storage:MinFreeBytes", storage.GetProperty("description").GetString());
        using var live = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Readyz_ReadOnly_IsReadyForPulls()
    {
        using var factory = new WharfApiFactory(("Storage:ReadOnly", "true"));
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("read-only", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Probes_WithSignIn_NeedNoCredentials()
    {
        using var directory = new TempDir();
        var htpasswd = TestUsers.WriteHtpasswd(directory.FullPath, TestUsers.All);
        using var factory = new WharfApiFactory([.. AuthSettings.Standard("htpasswd", htpasswd)]);
        using var client = factory.CreateClient();

        using var live = await client.GetAsync("/healthz");
        using var ready = await client.GetAsync("/readyz");
        using var registry = await client.GetAsync("/v2/");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, registry.StatusCode);
    }

    [Fact]
    public async Task Readyz_PolledOften_LeavesNothingBehindInTheDataDirectory()
    {
        using var factory = new WharfApiFactory();
        using var client = factory.CreateClient();
        var probeDirectory = Path.Combine(factory.StorageRoot, "docker", "registry", "v2", "_wharf");

        for (var i = 0; i < 20; i++)
        {
            using var response = await client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Written and deleted again: nothing is left behind in the data directory.
        Assert.False(Directory.Exists(probeDirectory) && Directory.EnumerateFileSystemEntries(probeDirectory).Any());
    }
}
