using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Auth;
using Wharf.Configuration;

namespace Wharf.Tests.Configuration;

/// <summary>The server's start-up check run on in-memory settings, with a storage root of the test's own.</summary>
internal static class StartupChecks
{
    public static IReadOnlyList<string> Run(string storageRoot, params (string Key, string? Value)[] settings)
    {
        var values = new Dictionary<string, string?> { ["Storage:Root"] = storageRoot };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddWharf(configuration);
        services.AddWharfAuth(configuration);
        Wharf.Events.NotificationServices.AddWharfNotifications(services, configuration);
        Wharf.Proxy.ProxyServices.AddWharfProxy(services, configuration);
        Wharf.Ui.UiServices.AddWharfUi(services, configuration);
        using var provider = services.BuildServiceProvider();
        return StartupCheck.Run(provider);
    }
}
