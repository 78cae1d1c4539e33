using Microsoft.Extensions.Options;
using Wharf.Metadata;
using Wharf.Registry;
using Wharf.Storage;

namespace Wharf.Configuration;

/// <summary>Registers Wharf's services from configuration.</summary>
public static class WharfServices
{
    public static IServiceCollection AddWharf(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddOptions<ManifestOptions>().Bind(configuration.GetSection(ManifestOptions.Section));

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new RegistryPolicy
        {
            DeleteEnabled = sp.GetRequiredService<IOptions<StorageOptions>>().Value.Delete.Enabled,
            RequireIndexChildren = sp.GetRequiredService<IOptions<ManifestOptions>>().Value.RequireIndexChildren,
        });
        services.AddSingleton<IBlobStorage>(sp => new FileSystemBlobStorage(sp.GetRequiredService<IOptions<StorageOptions>>().Value.Root));
        services.AddSingleton<IMetadataStore>(sp => new SqliteMetadataStore(
            sp.GetRequiredService<IOptions<StorageOptions>>().Value.DatabaseFile,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<BlobService>();
        services.AddSingleton<UploadService>();
        services.AddSingleton<ManifestService>();
        services.AddSingleton<ListingService>();
        return services;
    }

    private sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
    {
        public ValidateOptionsResult Validate(string? name, StorageOptions options)
        {
            var failures = options.Validate().ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
