using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Wharf.Distribution;
using Wharf.Manifests;

namespace Wharf.Metadata;

public sealed partial class SqliteMetadataStore
{
    /// <summary>Every repository with its content, in name order, one repository in memory at a time.</summary>
    public async IAsyncEnumerable<RepositoryExport> ExportAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = Open();
        var repositories = new List<(long Id, string Name)>();
        await using (var command = Command(connection, null, "SELECT id, name FROM repositories ORDER BY name"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                repositories.Add((reader.GetInt64(0), reader.GetString(1)));
            }
        }
        foreach (var (id, name) in repositories)
        {
            yield return new RepositoryExport(RepositoryName.Parse(name), await ReadLinksAsync(connection, id, cancellationToken), await ReadManifestsAsync(connection, id, cancellationToken));
        }
    }

    private static async Task<List<(Digest, long)>> ReadLinksAsync(SqliteConnection connection, long repositoryId, CancellationToken cancellationToken)
    {
        var links = new List<(Digest, long)>();
        await using var command = Command(connection, null, """
            SELECT rb.digest, b.size FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest
            WHERE rb.repository_id = $id ORDER BY rb.created_at, rb.digest
            """, ("$id", repositoryId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            links.Add((Digest.Parse(reader.GetString(0)), reader.GetInt64(1)));
        }
        return links;
    }

    private static async Task<List<ManifestExport>> ReadManifestsAsync(SqliteConnection connection, long repositoryId, CancellationToken cancellationToken)
    {
        var references = new Dictionary<long, List<(Digest, ReferenceKind)>>();
        await using (var command = Command(connection, null, """
            SELECT r.manifest_id, r.digest, r.kind FROM manifest_references r JOIN manifests m ON m.id = r.manifest_id
            WHERE m.repository_id = $id
            """, ("$id", repositoryId)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                Add(references, reader.GetInt64(0), (Digest.Parse(reader.GetString(1)), (ReferenceKind)reader.GetInt32(2)));
            }
        }
        var tags = new Dictionary<long, List<string>>();
        await using (var command = Command(connection, null, "SELECT manifest_id, name FROM tags WHERE repository_id = $id ORDER BY name", ("$id", repositoryId)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                Add(tags, reader.GetInt64(0), reader.GetString(1));
            }
        }
        var manifests = new List<ManifestExport>();
        // Oldest first: the order they were pushed in, so an index comes after its children.
        await using (var command = Command(connection, null, $"SELECT m.id, {ManifestColumns}, m.payload FROM manifests m WHERE m.repository_id = $id ORDER BY m.id", ("$id", repositoryId)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var manifestId = reader.GetInt64(0);
                var record = new ManifestRecord(Digest.Parse(reader.GetString(1)), reader.GetString(2), reader.GetInt64(3))
                {
                    Subject = reader.IsDBNull(4) ? null : Digest.Parse(reader.GetString(4)),
                    ArtifactType = reader.IsDBNull(5) ? null : reader.GetString(5),
                    AnnotationsJson = reader.IsDBNull(6) ? null : reader.GetString(6),
                    Payload = reader.IsDBNull(7) ? null : (byte[])reader.GetValue(7),
                };
                manifests.Add(new ManifestExport(record, references.GetValueOrDefault(manifestId) ?? [], tags.GetValueOrDefault(manifestId) ?? []));
            }
        }
        return manifests;
    }

    private static void Add<T>(Dictionary<long, List<T>> lists, long key, T item)
    {
        if (!lists.TryGetValue(key, out var list))
        {
            lists[key] = list = [];
        }
        list.Add(item);
    }
}
