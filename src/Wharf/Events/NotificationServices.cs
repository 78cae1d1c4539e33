using Microsoft.Extensions.Options;

namespace Wharf.Events;

/// <summary>Registers notifications: the outbox sink the registry's services report to, and the dispatcher.</summary>
public static class NotificationServices
{
    public static IServiceCollection AddWharfNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<NotificationOptions>()
            .Bind(configuration.GetSection(NotificationOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<NotificationOptions>>(new Configuration.WharfServices.DelegateValidator<NotificationOptions>(o => o.Validate()));
        if (!configuration.GetSection(NotificationOptions.Section).GetSection(nameof(NotificationOptions.Endpoints)).GetChildren().Any())
        {
            // Without endpoints the services report to no one (NoRegistryEvents) and no request
            // pays for the HTTP context accessor.
            return services;
        }
        services.AddHttpContextAccessor();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<IRegistryEvents, OutboxEventSink>();
        services.AddHostedService<NotificationDispatcher>();
        return services;
    }
}
