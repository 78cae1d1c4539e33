using Npgsql;

namespace Wharf.Metadata.PostgreSql;

/// <summary>Builds the pooled connection source the store runs on.</summary>
internal static class PostgreSqlDataSource
{
    // Enough for every statement the store has; each is prepared on a connection after two uses.
    private const int AutoPreparedStatements = 64;

    public static NpgsqlDataSource Create(string connectionString)
    {
        // The slim builder is Npgsql's Native AOT and trimming friendly one: it includes only the
        // type support asked for. The store needs arrays (unnest of digests and tags), and TLS
        // for servers that require it.
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        builder.EnableArrays();
        builder.EnableTransportSecurity();
        // Prepared statements skip parsing and planning on every hot read; a connection string
        // that says otherwise (e.g. behind a pooler in transaction mode: Max Auto Prepare=0) wins.
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = AutoPreparedStatements;
        }
        return builder.Build();
    }
}
