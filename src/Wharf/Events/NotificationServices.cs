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
        services.AddSingleton<IValidateOptions<NotificationOptions>>(new NotificationOptionsValidator());
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

internal sealed class NotificationOptionsValidator : IValidateOptions<NotificationOptions>
{
    public ValidateOptionsResult Validate(string? name, NotificationOptions options)
    {
        var failures = options.Validate().ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
