using Microsoft.Extensions.Options;

namespace Wharf.Ui;

/// <summary>Registers the web UI and maps its pages, assets and JSON API when it is on.</summary>
public static class UiServices
{
    public static IServiceCollection AddWharfUi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<UiOptions>().Bind(configuration.GetSection(UiOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UiOptions>>(new Configuration.WharfServices.DelegateValidator<UiOptions>(o => o.Validate()));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<UiOptions>>().Value);
        services.AddSingleton<UiSessions>();
        return services;
    }

    public static IEndpointRouteBuilder MapWharfUi(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<UiOptions>().Enabled)
        {
            return app;
        }
        app.MapUiPages();
        app.MapUiSessionEndpoints();
        app.MapUiApiEndpoints();
        app.MapUiManifestEndpoints();
        return app;
    }
}
