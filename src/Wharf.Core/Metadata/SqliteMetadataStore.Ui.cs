using Wharf.Distribution;

namespace Wharf.Metadata;

public sealed partial class SqliteMetadataStore
{
    // The web UI's listings. Names walk the unique index on repositories(name) in order from `last`
    // (the substring test is applied to each name on the way: 10,000 names are a short scan). Per
    // repository, the counts are range scans of the primary keys of tags and repository_blobs and of
    // the unique (repository_id, digest) index of manifests, so a page costs what its rows hold.

    public async Task<Page<string>> ListRepositoriesContainingAsync(string contains, int limit, string? last, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, null,
            "SELECT name FROM repositories WHERE name > $last AND instr(name, $contains) > 0 ORDER BY name LIMIT $limit",
            ("$last", last ?? ""), ("$contains", contains), ("$limit", QueryLimit(limit)));
        return await ReadPageAsync(command, limit, cancellationToken);
    }

    public async Task<IReadOnlyList<RepositorySummary>> GetRepositorySummariesAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        var items = new List<RepositorySummary>();
        if (names.Count == 0)
        {
            return items;
        }
        // The names travel as one JSON array parameter (json_each), whatever their number.
        await using var connection = Open();
        await using var command = Command(connection, null, """
            SELECT r.name,
                (SELECT COUNT(*) FROM tags t WHERE t.repository_id = r.id),
                (SELECT COALESCE(SUM(b.size), 0) FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest WHERE rb.repository_id = r.id)
                    + (SELECT COALESCE(SUM(m.size), 0) FROM manifests m WHERE m.repository_id = r.id),
                (SELECT MAX(t.updated_at) FROM tags t WHERE t.repository_id = r.id)
            FROM repositories r
            WHERE r.name IN (SELECT value FROM json_each($names))
            ORDER BY r.name
            """, ("$names", NamesJson(names)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new RepositorySummary(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2),
                reader.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))));
        }
        return items;
    }

    private static string NamesJson(IReadOnlyCollection<string> names)
    {
        using var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var name in names)
            {
                json.WriteStringValue(name);
            }
            json.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public async Task<Page<TagSummary>?> ListTagSummariesAsync(RepositoryName repository, string contains, TagOrder order, int limit, string? last, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        if (Scalar(connection, null, "SELECT id FROM repositories WHERE name = $name", ("$name", repository.Value)) is not long id)
        {
            return null;
        }
        // By name: a range of the primary key (repository_id, name). By date: the repository's tags
        // are read and sorted (no index on updated_at; 5,000 tags sort in a few milliseconds). The
        // date cursor is the last tag's time, looked up again: NULL (tag gone) matches nothing.
        var (resume, orderBy) = order switch
        {
            TagOrder.Date => (last is null ? "" : """
                AND (
                    t.updated_at < (SELECT updated_at FROM tags WHERE repository_id = $id AND name = $last)
                    OR (t.updated_at = (SELECT updated_at FROM tags WHERE repository_id = $id AND name = $last) AND t.name > $last))
                """, "t.updated_at DESC, t.name"),
            _ => ("AND t.name > $last", "t.name"),
        };
        // The page is chosen first and only its rows are sized: sizing every tag before the sort
        // made a date-ordered page of a 5,000-tag repository cost 17 ms instead of 3.
        await using var command = Command(connection, null, $"""
            SELECT t.name, m.digest, m.media_type, m.artifact_type, m.size, t.updated_at,
                (SELECT COALESCE(SUM(b.size), 0) FROM blobs b WHERE b.digest IN (
                    SELECT mr.digest FROM manifest_references mr WHERE mr.manifest_id = m.id AND mr.kind IN (1, 2)))
            FROM (
                SELECT t.name, t.updated_at, t.manifest_id FROM tags t
                WHERE t.repository_id = $id AND instr(lower(t.name), $contains) > 0 {resume}
                ORDER BY {orderBy}
                LIMIT $limit) t
            JOIN manifests m ON m.id = t.manifest_id
            ORDER BY {orderBy}
            """, ("$id", id), ("$contains", contains.ToLowerInvariant()), ("$last", last ?? ""), ("$limit", QueryLimit(limit)));
        var items = new List<TagSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new TagSummary(reader.GetString(0), Digest.Parse(reader.GetString(1)), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4), reader.GetInt64(6),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5))));
        }
        return ToPage(items, limit);
    }

    public async Task<IReadOnlyList<string>> ListTagsOfManifestAsync(RepositoryName repository, Digest digest, int limit, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        // The unique (repository_id, digest) index finds the manifest; the tags' manifest_id index its tags.
        await using var command = Command(connection, null, """
            SELECT t.name FROM repositories r
            JOIN manifests m ON m.repository_id = r.id AND m.digest = $digest
            JOIN tags t ON t.manifest_id = m.id
            WHERE r.name = $name
            ORDER BY t.name
            LIMIT $limit
            """, ("$name", repository.Value), ("$digest", digest.ToString()), ("$limit", limit));
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }
        return names;
    }

    private static Page<T> ToPage<T>(List<T> items, int limit)
    {
        var hasMore = items.Count > limit;
        if (hasMore)
        {
            items.RemoveAt(items.Count - 1);
        }
        return new Page<T>(items, hasMore);
    }
}
