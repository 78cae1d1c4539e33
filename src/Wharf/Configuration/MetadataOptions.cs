using Npgsql;

namespace Wharf.Configuration;

/// <summary>Which database holds the registry's metadata (configuration section <c>Metadata</c>).</summary>
public sealed class MetadataOptions
{
    public const string Section = "Metadata";

    /// <summary>The embedded default: one SQLite file under Storage:Root.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>A PostgreSQL database, which several replicas can share.</summary>
    public const string Postgres = "postgres";

    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>Npgsql connection string of the PostgreSQL database (with <c>postgres</c> only),
    /// e.g. <c>Host=db;Username=wharf;Password=...;Database=wharf</c>.</summary>
    public string? ConnectionString { get; set; }

    public bool IsPostgres => string.Equals(Provider?.Trim(), Postgres, StringComparison.OrdinalIgnoreCase);

    // An empty value (WHARF_Metadata__Provider= in an environment file) means the default.
    private bool IsSqlite => string.IsNullOrWhiteSpace(Provider) || string.Equals(Provider.Trim(), Sqlite, StringComparison.OrdinalIgnoreCase);

    /// <summary>Every problem with these settings, so start-up can report them all at once.</summary>
    public IEnumerable<string> Validate()
    {
        var hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        if (!IsPostgres && !IsSqlite)
        {
            yield return $"Metadata:Provider '{Provider}' is not known; use '{Sqlite}' (the default) or '{Postgres}'";
        }
        else if (IsPostgres && !hasConnectionString)
        {
            yield return $"Metadata:ConnectionString is required with Metadata:Provider '{Postgres}' (e.g. Host=db;Username=wharf;Password=...;Database=wharf)";
        }
        else if (!IsPostgres && hasConnectionString)
        {
            // Most likely the provider was forgotten: a replica quietly using a local SQLite file
            // while its peers share PostgreSQL would serve a registry of its own.
            yield return $"Metadata:ConnectionString is set but Metadata:Provider is '{Provider}'; set Metadata:Provider to '{Postgres}' to use it";
        }
        else if (IsPostgres && ConnectionStringProblem(ConnectionString!) is { } problem)
        {
            yield return $"Metadata:ConnectionString is not a valid PostgreSQL connection string: {problem}";
        }
    }

    private static string? ConnectionStringProblem(string connectionString)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            // The message names the keyword or format at fault, never the password.
            return MetadataStores.Reason(e);
        }
    }
}
