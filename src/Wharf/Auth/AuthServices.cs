using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Wharf.Configuration;

namespace Wharf.Auth;

/// <summary>Registers authentication and access control from the <c>Auth</c> section.</summary>
public static class AuthServices
{
    public static IServiceCollection AddWharfAuth(this IServiceCollection services, IConfiguration configuration)
    {
        var configDirectory = configuration[YamlConfigurationFile.DirectoryKey] ?? Directory.GetCurrentDirectory();
        services.AddOptions<AuthOptions>()
            .Bind(configuration.GetSection(AuthOptions.Section))
            .PostConfigure(options => ResolvePaths(options, configDirectory))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<AuthOptions>>().Value);
        services.AddSingleton<AccessPolicy>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<AuthOptions>();
            return options.Htpasswd is null ? null! : HtpasswdFile.Load(options.Htpasswd);
        });
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<AuthOptions>();
            if (options.Mode != AuthMode.Token)
            {
                return null!;
            }
            var signing = options.Token.BuiltIn ? LoadBuiltInSigningCredentials(sp) : null;
            var external = TokenKeys.LoadValidationKeys(options.Token.Certificate, options.Token.Jwks);
            return new TokenService(options.Token, signing, external, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton(sp => new RegistryAuthorizer(
            sp.GetRequiredService<AuthOptions>(),
            sp.GetRequiredService<AccessPolicy>(),
            sp.GetService<HtpasswdFile>(),
            sp.GetService<TokenService>(),
            sp.GetRequiredService<LoginThrottle>()));
        return services;
    }

    /// <summary>The key the built-in token service signs with (and the web UI its sign-in
    /// sessions): Auth:Token:SigningKey, else one generated once and kept where every replica finds it.</summary>
    internal static SigningCredentials LoadBuiltInSigningCredentials(IServiceProvider sp)
    {
        var options = sp.GetRequiredService<AuthOptions>();
        var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
        return options.Token.SigningKey is null && sp.GetRequiredService<IOptions<MetadataOptions>>().Value.IsPostgres
            // Replicas may be on other machines: the generated key lives in the database they share.
            ? TokenKeys.LoadSharedSigningCredentialsAsync(sp.GetRequiredService<Wharf.Metadata.IMetadataStore>(), CancellationToken.None).GetAwaiter().GetResult()
            : TokenKeys.LoadSigningCredentials(options.Token.SigningKey, Path.Combine(Path.GetFullPath(storage.Root), "token-signing-key.pem"));
    }

    // Paths in a YAML file are relative to the file, not to wherever Wharf was started.
    private static void ResolvePaths(AuthOptions options, string directory)
    {
        string? Resolve(string? path) => string.IsNullOrWhiteSpace(path) ? null : Path.GetFullPath(path, directory);
        options.Htpasswd = Resolve(options.Htpasswd);
        options.Token.SigningKey = Resolve(options.Token.SigningKey);
        options.Token.Certificate = Resolve(options.Token.Certificate);
        options.Token.Jwks = Resolve(options.Token.Jwks);
    }

    private sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
    {
        public ValidateOptionsResult Validate(string? name, AuthOptions options)
        {
            var failures = new List<string>();
            if (options.Mode != AuthMode.None && options.Htpasswd is null && !(options.Mode == AuthMode.Token && !options.Token.BuiltIn))
            {
                failures.Add($"Auth:Htpasswd must name an htpasswd file when Auth:Mode is {options.Mode}{(options.Mode == AuthMode.Token ? " with the built-in token service" : "")}");
            }
            if (options.Htpasswd is not null)
            {
                if (!File.Exists(options.Htpasswd))
                {
                    failures.Add($"Auth:Htpasswd: {options.Htpasswd} does not exist");
                }
                else
                {
                    try
                    {
                        HtpasswdFile.Load(options.Htpasswd);
                    }
                    catch (InvalidDataException e)
                    {
                        failures.Add($"Auth:Htpasswd: {e.Message}");
                    }
                }
            }
            if (options.Mode == AuthMode.Token && !options.Token.BuiltIn && options.Token.Certificate is null && options.Token.Jwks is null)
            {
                failures.Add("Auth:Token needs Certificate or Jwks (the external issuer's keys) when BuiltIn is false");
            }
            if (options.Mode == AuthMode.Token && !options.Token.BuiltIn && options.Token.Realm is null)
            {
                failures.Add("Auth:Token:Realm must give the external token service's URL when BuiltIn is false");
            }
            foreach (var file in new[] { options.Token.SigningKey, options.Token.Certificate, options.Token.Jwks })
            {
                if (file is not null && !File.Exists(file))
                {
                    failures.Add($"Auth:Token: {file} does not exist");
                }
            }
            if (options.Token.Lifetime <= TimeSpan.Zero || options.Token.Lifetime > TimeSpan.FromHours(24))
            {
                failures.Add("Auth:Token:Lifetime must be between 0 and 24 hours");
            }
            for (var i = 0; i < options.Rules.Count; i++)
            {
                var rule = options.Rules[i];
                if (rule.Repositories.Count == 0)
                {
                    failures.Add($"Auth:Rules:{i} names no repositories");
                }
                foreach (var action in rule.Actions.Where(a => !RegistryActions.IsKnown(a)))
                {
                    failures.Add($"Auth:Rules:{i}: unknown action '{action}' (pull, push, delete or *)");
                }
            }
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
