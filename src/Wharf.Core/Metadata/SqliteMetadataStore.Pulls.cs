using Wharf.Distribution;

namespace Wharf.Metadata;

public sealed partial class SqliteMetadataStore
{
    public Task RecordManifestPullsAsync(IReadOnlyCollection<ManifestPull> pulls, CancellationToken cancellationToken)
    {
        if (pulls.Count == 0)
        {
            return Task.CompletedTask;
        }
        return WriteAsync((connection, transaction) =>
        {
            // Batches from several flushes may arrive out of order: a time only ever moves forward.
            // The manifest, and the children it lists if it is an index (kind 3: a manifest).
            using var command = Command(connection, transaction, """
                UPDATE manifests SET pulled_at = MAX(COALESCE(pulled_at, $at), $at)
                WHERE repository_id = (SELECT id FROM repositories WHERE name = $repository)
                  AND (digest = $digest OR digest IN (
                      SELECT mr.digest FROM manifest_references mr JOIN manifests i ON i.id = mr.manifest_id
                      WHERE i.repository_id = (SELECT id FROM repositories WHERE name = $repository) AND i.digest = $digest AND mr.kind = 3))
                """, ("$repository", ""), ("$digest", ""), ("$at", 0L));
            foreach (var pull in pulls)
            {
                command.Parameters["$repository"].Value = pull.Repository.Value;
                command.Parameters["$digest"].Value = pull.Digest.ToString();
                command.Parameters["$at"].Value = pull.At.ToUnixTimeMilliseconds();
                command.ExecuteNonQuery();
            }
            return 0;
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<ManifestKey>> ListManifestsUnusedSinceAsync(string prefix, DateTimeOffset cutoff, ManifestKey? after, int limit, CancellationToken cancellationToken)
    {
        // A prefix is a range of names ('0' follows '/'), which the index on repositories(name)
        // serves; the conditions are left out rather than disabled, so that the planner sees them.
        var range = prefix.Length > 0 ? "AND r.name > $lower AND r.name < $upper" : "";
        // The plain r.name >= bound lets the index on repositories(name) start the next page where
        // the last one ended instead of walking from the first name again.
        var resume = after is not null ? "AND r.name >= $afterName AND (r.name > $afterName OR m.digest > $afterDigest)" : "";
        await using var connection = Open();
        await using var command = Command(connection, null, $"""
            SELECT r.name, m.digest FROM repositories r JOIN manifests m ON m.repository_id = r.id
            WHERE MAX(COALESCE(m.pulled_at, 0), m.created_at) < $cutoff {range} {resume}
            ORDER BY r.name, m.digest
            LIMIT $limit
            """, ("$cutoff", cutoff.ToUnixTimeMilliseconds()), ("$lower", prefix + "/"), ("$upper", prefix + "0"),
            ("$afterName", after?.Repository.Value), ("$afterDigest", after?.Digest.ToString()), ("$limit", limit));
        var unused = new List<ManifestKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            unused.Add(new ManifestKey(RepositoryName.Parse(reader.GetString(0)), Digest.Parse(reader.GetString(1))));
        }
        return unused;
    }
}
