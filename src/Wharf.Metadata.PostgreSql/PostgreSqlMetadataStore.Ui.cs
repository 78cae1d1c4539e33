using Wharf.Distribution;

namespace Wharf.Metadata.PostgreSql;

public sealed partial class PostgreSqlMetadataStore
{
    // The web UI's listings, as the SQLite store answers them. Names walk the unique index on
    // repositories(name) from `last` (strpos tests each name on the way). Per repository, the counts
    // are range scans of the primary keys of tags and repository_blobs and of the unique
    // (repository_id, digest) index of manifests.

    public async Task<Page<string>> ListRepositoriesContainingAsync(string contains, int limit, string? last, CancellationToken cancellationToken)
    {
        await using var command = Command(
            "SELECT name FROM repositories WHERE name > $1 AND strpos(name, $2) > 0 ORDER BY name LIMIT $3",
            Text(last ?? ""), Text(contains), QueryLimit(limit));
        var items = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(reader.GetString(0));
        }
        return ToPage(items, limit);
    }

    public async Task<IReadOnlyList<RepositorySummary>> GetRepositorySummariesAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        var items = new List<RepositorySummary>();
        if (names.Count == 0)
        {
            return items;
        }
        await using var command = Command("""
            SELECT r.name,
                (SELECT count(*) FROM tags t WHERE t.repository_id = r.id),
                (SELECT COALESCE(sum(b.size), 0) FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest WHERE rb.repository_id = r.id)
                    + (SELECT COALESCE(sum(m.size), 0) FROM manifests m WHERE m.repository_id = r.id),
                (SELECT max(t.updated_at) FROM tags t WHERE t.repository_id = r.id)
            FROM repositories r
            WHERE r.name = ANY($1::text[])
            ORDER BY r.name
            """, Value(names.ToArray()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            // sum(bigint) is numeric in PostgreSQL.
            items.Add(new RepositorySummary(reader.GetString(0), reader.GetInt64(1), (long)reader.GetDecimal(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3)));
        }
        return items;
    }

    public async Task<Page<TagSummary>?> ListTagSummariesAsync(RepositoryName repository, string contains, TagOrder order, int limit, string? last, CancellationToken cancellationToken)
    {
        await using (var select = Command("SELECT id FROM repositories WHERE name = $1", Text(repository.Value)))
        {
            if (await select.ExecuteScalarAsync(cancellationToken) is not long)
            {
                return null;
            }
        }
        // By name: a range of the primary key (repository_id, name). By date: the repository's tags
        // are read and sorted (top-N). The date cursor is the last tag's time, looked up again: a tag
        // that is gone gives NULL, which matches nothing. The lookup names the repository by $1, not
        // r.id, so that it is not correlated and runs once (an InitPlan), not once per tag.
        const string lastAt = "(SELECT c.updated_at FROM tags c JOIN repositories cr ON cr.id = c.repository_id WHERE cr.name = $1 AND c.name = $3)";
        var (resume, orderBy) = order switch
        {
            TagOrder.Date => (last is null ? "" : $"AND (t.updated_at < {lastAt} OR (t.updated_at = {lastAt} AND t.name > $3))",
                "t.updated_at DESC, t.name"),
            _ => ("AND t.name > $3", "t.name"),
        };
        // The page is chosen first and only its rows are sized, not every tag before the sort.
        await using var command = Command($"""
            SELECT t.name, m.digest, m.media_type, m.artifact_type, m.size, t.updated_at,
                (SELECT COALESCE(sum(b.size), 0) FROM blobs b WHERE b.digest IN (
                    SELECT mr.digest FROM manifest_references mr WHERE mr.manifest_id = m.id AND mr.kind IN (1, 2)))
            FROM (
                SELECT t.name, t.updated_at, t.manifest_id
                FROM repositories r JOIN tags t ON t.repository_id = r.id
                WHERE r.name = $1 AND strpos(lower(t.name), $2) > 0 {resume}
                ORDER BY {orderBy}
                LIMIT $4) t
            JOIN manifests m ON m.id = t.manifest_id
            ORDER BY {orderBy}
            """, Text(repository.Value), Text(contains.ToLowerInvariant()), Text(last ?? ""), QueryLimit(limit));
        var items = new List<TagSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new TagSummary(reader.GetString(0), Digest.Parse(reader.GetString(1)), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4), (long)reader.GetDecimal(6),
                reader.GetFieldValue<DateTimeOffset>(5)));
        }
        return ToSummaryPage(items, limit);
    }

    public async Task<IReadOnlyList<string>> ListTagsOfManifestAsync(RepositoryName repository, Digest digest, int limit, CancellationToken cancellationToken)
    {
        await using var command = Command("""
            SELECT t.name FROM repositories r
            JOIN manifests m ON m.repository_id = r.id AND m.digest = $2
            JOIN tags t ON t.manifest_id = m.id
            WHERE r.name = $1
            ORDER BY t.name
            LIMIT $3
            """, Text(repository.Value), Text(digest.ToString()), Value((long)limit));
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }
        return names;
    }

    private static Page<T> ToSummaryPage<T>(List<T> items, int limit)
    {
        var hasMore = items.Count > limit;
        if (hasMore)
        {
            items.RemoveAt(items.Count - 1);
        }
        return new Page<T>(items, hasMore);
    }
}
