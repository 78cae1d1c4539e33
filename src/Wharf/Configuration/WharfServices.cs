using Microsoft.Extensions.Options;
using Wharf.Metadata;
using Wharf.Metadata.PostgreSql;
using Wharf.Registry;
using Wharf.Storage;
using Wharf.Storage.S3;

namespace Wharf.Configuration;

/// <summary>Registers Wharf's services from configuration.</summary>
public static class WharfServices
{
    public static IServiceCollection AddWharf(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>>(new DelegateValidator<StorageOptions>(o => o.Validate()));
        services.AddOptions<MetadataOptions>()
            .Bind(configuration.GetSection(MetadataOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<MetadataOptions>>(new DelegateValidator<MetadataOptions>(o => o.Validate()));
        services.AddOptions<ManifestOptions>().Bind(configuration.GetSection(ManifestOptions.Section));
        var configDirectory = configuration[YamlConfigurationFile.DirectoryKey] ?? Directory.GetCurrentDirectory();
        services.AddOptions<TlsOptions>()
            .Bind(configuration.GetSection(TlsOptions.Section))
            .PostConfigure(tls =>
            {
                // Paths in a YAML file are relative to the file.
                tls.Certificate = tls.Certificate is { Length: > 0 } c ? Path.GetFullPath(c, configDirectory) : null;
                tls.Key = tls.Key is { Length: > 0 } k ? Path.GetFullPath(k, configDirectory) : null;
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TlsOptions>>(new DelegateValidator<TlsOptions>(o => o.Validate()));
        services.AddOptions<GcOptions>().Bind(configuration.GetSection(GcOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GcOptions>>(new DelegateValidator<GcOptions>(o => o.Validate()));
        services.AddOptions<LimitOptions>().Bind(configuration.GetSection(LimitOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LimitOptions>>(new DelegateValidator<LimitOptions>(o => o.Validate()));
        services.AddOptions<CacheOptions>().Bind(configuration.GetSection(CacheOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CacheOptions>>(new DelegateValidator<CacheOptions>(o => o.Validate()));
        services.AddOptions<Server.MemoryOptions>().Bind(configuration.GetSection(Server.MemoryOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Server.MemoryOptions>>(new DelegateValidator<Server.MemoryOptions>(o => o.Validate()));
        services.AddOptions<Server.HttpOptions>().Bind(configuration.GetSection(Server.HttpOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Server.HttpOptions>>(new DelegateValidator<Server.HttpOptions>(o => o.Validate()));

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new RegistryPolicy
        {
            DeleteEnabled = sp.GetRequiredService<IOptions<StorageOptions>>().Value.Delete.Enabled,
            RequireIndexChildren = sp.GetRequiredService<IOptions<ManifestOptions>>().Value.RequireIndexChildren,
            RequireBlobs = sp.GetRequiredService<IOptions<ManifestOptions>>().Value.RequireBlobs,
        });
        // With metrics or tracing on, both stores are wrapped to time (and trace) every operation.
        var instrument = Observability.TelemetryServices.Instruments(configuration);
        services.AddSingleton(sp => Observability.TelemetryServices.Instrument(BlobStorages.Open(sp.GetRequiredService<IOptions<StorageOptions>>().Value), instrument));
        // Resolved once, by StartupCheck before the server listens, which is when the schema is
        // migrated; blocking on that here keeps a server from ever serving an older schema.
        services.AddSingleton(sp =>
        {
            var cache = sp.GetRequiredService<IOptions<CacheOptions>>().Value;
            var store = MetadataStores.OpenAsync(
                sp.GetRequiredService<IOptions<MetadataOptions>>().Value,
                sp.GetRequiredService<IOptions<StorageOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                CancellationToken.None,
                cache.SqlitePageCacheBytes, cache.SqliteReaderCacheBytes).GetAwaiter().GetResult();
            store.ReviewDelay = sp.GetRequiredService<IOptions<GcOptions>>().Value.ReviewDelay;
            return Observability.TelemetryServices.Instrument(store, instrument);
        });
        // Replicas on PostgreSQL tell each other what changed (LISTEN/NOTIFY); one SQLite process has nobody to tell.
        services.AddSingleton<IReplicaChanges>(sp => Observability.TelemetryServices.Unwrap(sp.GetRequiredService<IMetadataStore>()) is PostgreSqlMetadataStore postgres
            ? postgres.CreateReplicaChangesAsync(sp.GetRequiredService<ILogger<PostgreSqlReplicaChanges>>(), CancellationToken.None).GetAwaiter().GetResult()
            : new SingleProcessChanges());
        services.AddHostedService<Cluster.ReplicaChangesListener>();
        services.AddSingleton(sp => new BlobLinkCache(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IReplicaChanges>(),
            sp.GetRequiredService<IOptions<CacheOptions>>().Value.BlobLinkBytes));
        services.AddSingleton<BlobService>();
        services.AddSingleton<UploadService>();
        services.AddSingleton(sp => new ManifestCache(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IReplicaChanges>(),
            sp.GetRequiredService<IOptions<CacheOptions>>().Value.ManifestBytes));
        services.AddSingleton<ManifestService>();
        services.AddSingleton<ListingService>();
        services.AddSingleton<Api.UploadConcurrency>();
        services.AddSingleton<Operations.ReadOnlyMode>();
        services.AddSingleton<Operations.IReadOnlyMode>(sp => sp.GetRequiredService<Operations.ReadOnlyMode>());
        services.AddHostedService<Operations.ReadOnlySwitch>();
        services.AddHostedService<Maintenance.UploadPurge>();
        services.AddSingleton(sp => new Gc.GarbageCollector(
            sp.GetRequiredService<IMetadataStore>(), sp.GetRequiredService<IBlobStorage>(), sp.GetRequiredService<IReplicaChanges>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ManifestCache>(), sp.GetRequiredService<BlobLinkCache>()));
        services.AddHostedService<Gc.GcWorker>();
        Observability.HealthChecks.AddWharfHealthChecks(services);
        Observability.TelemetryServices.AddWharfTelemetry(services, configuration);
        return services;
    }

    /// <summary>Runs an options class's own Validate(), which lists every problem it finds.</summary>
    internal sealed class DelegateValidator<T>(Func<T, IEnumerable<string>> validate) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var failures = validate(options).ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
