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
        return services;
    }
}
