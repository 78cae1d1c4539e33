using Wharf.Distribution;

namespace Wharf.Metadata.PostgreSql;

public sealed partial class PostgreSqlMetadataStore
{
    public async Task RecordManifestPullsAsync(IReadOnlyCollection<ManifestPull> pulls, CancellationToken cancellationToken)
    {
        if (pulls.Count == 0)
        {
            return;
        }
        // One statement for the batch (sorted only for a steady order; replicas that deadlock on
        // rows they share fail a batch, which ManifestPulls queues again). GREATEST skips NULL, and
        // a time only moves forward.
        var sorted = pulls.OrderBy(p => p.Repository.Value, StringComparer.Ordinal).ThenBy(p => p.Digest.ToString(), StringComparer.Ordinal).ToArray();
        // The manifests pulled, and the children an index among them lists (kind 3: a manifest).
        await WriteAsync((connection, _) => ExecuteAsync(connection, """
            WITH pulled AS (
                SELECT r.id AS repository_id, u.digest, u.at
                FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(repository, digest, at)
                JOIN repositories r ON r.name = u.repository),
            used AS (
                SELECT repository_id, digest, at FROM pulled
                UNION ALL
                SELECT p.repository_id, mr.digest, p.at FROM pulled p
                JOIN manifests i ON i.repository_id = p.repository_id AND i.digest = p.digest
                JOIN manifest_references mr ON mr.manifest_id = i.id AND mr.kind = 3)
            UPDATE manifests m SET pulled_at = GREATEST(m.pulled_at, u.at)
            FROM (SELECT repository_id, digest, max(at) AS at FROM used GROUP BY repository_id, digest) u
            WHERE m.repository_id = u.repository_id AND m.digest = u.digest
            """,
            Value(sorted.Select(p => p.Repository.Value).ToArray()), Value(sorted.Select(p => p.Digest.ToString()).ToArray()),
            Value(sorted.Select(p => p.At.ToUniversalTime()).ToArray())), cancellationToken);
    }

    public async Task<IReadOnlyList<ManifestKey>> ListManifestsUnusedSinceAsync(string prefix, DateTimeOffset cutoff, ManifestKey? after, int limit, CancellationToken cancellationToken)
    {
        // A prefix is a range of names ('0' follows '/'; the names are COLLATE "C"), which the
        // unique index on repositories(name) serves.
        var range = prefix.Length > 0 ? "AND r.name > $2 AND r.name < $3" : "";
        // The plain r.name >= bound lets the index on repositories(name) start where the last page ended.
        var resume = after is not null ? "AND r.name >= $4 AND (r.name, m.digest) > ($4, $5)" : "";
        await using var command = Command($"""
            SELECT r.name, m.digest FROM repositories r JOIN manifests m ON m.repository_id = r.id
            WHERE GREATEST(m.pulled_at, m.created_at) < $1 {range} {resume}
            ORDER BY r.name, m.digest
            LIMIT $6
            """, Value(cutoff.ToUniversalTime()), Text(prefix + "/"), Text(prefix + "0"),
            Text(after?.Repository.Value), Text(after?.Digest.ToString()), Value((long)limit));
        var unused = new List<ManifestKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            unused.Add(new ManifestKey(RepositoryName.Parse(reader.GetString(0)), Digest.Parse(reader.GetString(1))));
        }
        return unused;
    }
}
