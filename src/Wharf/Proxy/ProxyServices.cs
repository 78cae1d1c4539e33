using Microsoft.Extensions.Options;

namespace Wharf.Proxy;

/// <summary>Registers the pull-through cache when upstreams are configured.</summary>
public static class ProxyServices
{
    public static IServiceCollection AddWharfProxy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ProxyOptions>().Bind(configuration.GetSection(ProxyOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProxyOptions>>(new Configuration.WharfServices.DelegateValidator<ProxyOptions>(o => o.Validate()));
        if (!configuration.GetSection(ProxyOptions.Section).GetSection(nameof(ProxyOptions.Upstreams)).GetChildren().Any())
        {
            // Without upstreams every repository is local and no request asks which upstream it has.
            return services;
        }
        services.AddSingleton<PullThrough>();
        services.AddSingleton<ManifestMirror>();
        services.AddSingleton<BlobFetches>();
        // Housekeeping (Proxy:MaxAge): pulls are recorded whether or not it is set, so that turning
        // it on goes by real use; the expiry itself does nothing without it.
        services.AddSingleton(sp => ProxyExpiryTiming.For(sp.GetRequiredService<IOptions<ProxyOptions>>().Value.MaxAge));
        services.AddSingleton<ManifestPulls>();
        services.AddHostedService(sp => sp.GetRequiredService<ManifestPulls>());
        services.AddHostedService<ProxyExpiry>();
        return services;
    }
}
