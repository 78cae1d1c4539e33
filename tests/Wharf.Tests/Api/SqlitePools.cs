using Wharf.Metadata;

namespace Wharf.Tests.Api;

/// <summary>Closes the pooled SQLite connections of the databases in a test's directory before it
/// is deleted. Only those: clearing every pool of the test process would pull connections from
/// under tests running in parallel.</summary>
public static class SqlitePools
{
    public static void ReleaseUnder(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }
        foreach (var database in Directory.EnumerateFiles(directory, "*.db", SearchOption.AllDirectories))
        {
            SqliteMetadataStore.ReleaseConnections(database);
        }
    }
}
