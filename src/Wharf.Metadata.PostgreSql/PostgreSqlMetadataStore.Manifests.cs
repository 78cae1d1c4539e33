using Npgsql;
using Wharf.Distribution;
using Wharf.Manifests;

namespace Wharf.Metadata.PostgreSql;

public sealed partial class PostgreSqlMetadataStore
{
    private const string ManifestColumns = "m.digest, m.media_type, m.size, m.subject_digest, m.artifact_type, m.annotations";

    public async Task<ManifestRecord?> GetManifestAsync(RepositoryName repository, Reference reference, CancellationToken cancellationToken)
    {
        await using var command = reference.IsDigest
            ? Command($"""
                SELECT {ManifestColumns} FROM manifests m JOIN repositories r ON r.id = m.repository_id
                WHERE r.name = $1 AND m.digest = $2
                """, Text(repository.Value), Text(reference.Digest.ToString()!))
            : Command($"""
                SELECT {ManifestColumns} FROM tags t
                JOIN repositories r ON r.id = t.repository_id
                JOIN manifests m ON m.id = t.manifest_id
                WHERE r.name = $1 AND t.name = $2
                """, Text(repository.Value), Text(reference.TagName!));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadManifest(reader) : null;
    }

    public async Task<IReadOnlyList<ManifestRecord>> ListReferrersAsync(RepositoryName repository, Digest subject, string? artifactType, CancellationToken cancellationToken)
    {
        // Served by the partial index on (repository_id, subject_digest): no scan, however many
        // signatures, SBOMs and attestations an image collects.
        await using var command = Command($"""
            SELECT {ManifestColumns} FROM manifests m JOIN repositories r ON r.id = m.repository_id
            WHERE r.name = $1 AND m.subject_digest = $2
              AND ($3::text IS NULL OR m.artifact_type = $3)
            ORDER BY m.digest
            """, Text(repository.Value), Text(subject.ToString()), Text(artifactType));
        var referrers = new List<ManifestRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            referrers.Add(ReadManifest(reader));
        }
        return referrers;
    }

    private static ManifestRecord ReadManifest(NpgsqlDataReader reader) =>
        new(Digest.Parse(reader.GetString(0)), reader.GetString(1), reader.GetInt64(2))
        {
            Subject = reader.IsDBNull(3) ? null : Digest.Parse(reader.GetString(3)),
            ArtifactType = reader.IsDBNull(4) ? null : reader.GetString(4),
            AnnotationsJson = reader.IsDBNull(5) ? null : reader.GetString(5),
        };

    public Task<IReadOnlyList<Digest>> FindMissingManifestsAsync(RepositoryName repository, IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken) =>
        FindMissingAsync("""
            SELECT 1 FROM manifests m JOIN repositories r ON r.id = m.repository_id
            WHERE r.name = $1 AND m.digest = d.digest
            """, repository, digests, cancellationToken);

    public Task PutManifestAsync(RepositoryName repository, ManifestRecord manifest, IReadOnlyCollection<(Digest Digest, ReferenceKind Kind)> references, IReadOnlyCollection<string> tags, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, now) =>
        {
            var repositoryId = await EnsureRepositoryAsync(connection, repository, now);
            // The manifest's bytes are a blob like any other; recording it lets GC account for them.
            await EnsureBlobAsync(connection, manifest.Digest, manifest.Size, now);
            var manifestId = await EnsureManifestAsync(connection, repositoryId, manifest, references, now);
            if (tags.Count > 0)
            {
                // Distinct, because one statement may not update a row twice; sorted, so that two
                // pushes tagging the same names lock them in the same order and cannot deadlock.
                var names = tags.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
                await ExecuteAsync(connection, """
                    INSERT INTO tags (repository_id, name, manifest_id, updated_at)
                    SELECT $1, t.name, $3, $4 FROM unnest($2::text[]) WITH ORDINALITY AS t(name, n) ORDER BY t.n
                    ON CONFLICT (repository_id, name) DO UPDATE SET manifest_id = excluded.manifest_id, updated_at = excluded.updated_at
                    """, Value(repositoryId), Value(names), Value(manifestId), Value(now));
            }
            return true;
        }, cancellationToken);

    // Idempotent: a manifest already there keeps its row and references. Either way the row is
    // locked (FOR SHARE, or as our own insert) until commit, so a concurrent delete cannot remove
    // it between here and the tags that are about to point at it.
    private static async Task<long> EnsureManifestAsync(NpgsqlConnection connection, long repositoryId, ManifestRecord manifest, IReadOnlyCollection<(Digest Digest, ReferenceKind Kind)> references, DateTimeOffset now)
    {
        while (true)
        {
            await using (var select = Command(connection,
                "SELECT id FROM manifests WHERE repository_id = $1 AND digest = $2 FOR SHARE",
                Value(repositoryId), Text(manifest.Digest.ToString())))
            {
                if (await select.ExecuteScalarAsync() is long existing)
                {
                    return existing;
                }
            }
            await using (var insert = Command(connection, """
                INSERT INTO manifests (repository_id, digest, media_type, size, subject_digest, artifact_type, annotations, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (repository_id, digest) DO NOTHING
                RETURNING id
                """,
                Value(repositoryId), Text(manifest.Digest.ToString()), Text(manifest.MediaType), Value(manifest.Size),
                Text(manifest.Subject?.ToString()), Text(manifest.ArtifactType), Text(manifest.AnnotationsJson), Value(now)))
            {
                if (await insert.ExecuteScalarAsync() is long inserted)
                {
                    await InsertReferencesAsync(connection, inserted, references);
                    return inserted;
                }
            }
            // Another transaction stored it after our SELECT; the next round finds (and locks) its row.
        }
    }

    private static async Task InsertReferencesAsync(NpgsqlConnection connection, long manifestId, IReadOnlyCollection<(Digest Digest, ReferenceKind Kind)> references)
    {
        if (references.Count == 0)
        {
            return;
        }
        var digests = references.Select(r => r.Digest.ToString()).ToArray();
        var kinds = references.Select(r => (short)r.Kind).ToArray();
        await ExecuteAsync(connection, """
            INSERT INTO manifest_references (manifest_id, digest, kind)
            SELECT $1, r.digest, r.kind FROM unnest($2::text[], $3::smallint[]) AS r(digest, kind)
            ON CONFLICT DO NOTHING
            """, Value(manifestId), Value(digests), Value(kinds));
    }

    public Task<bool> DeleteManifestAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken) =>
        // Tags and references go with the manifest (ON DELETE CASCADE).
        WriteAsync(async (connection, _) => await ExecuteAsync(connection, """
            DELETE FROM manifests
            WHERE digest = $2 AND repository_id = (SELECT id FROM repositories WHERE name = $1)
            """, Text(repository.Value), Text(digest.ToString())) > 0, cancellationToken);

    public Task<bool> DeleteTagAsync(RepositoryName repository, string tag, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, _) => await ExecuteAsync(connection, """
            DELETE FROM tags
            WHERE name = $2 AND repository_id = (SELECT id FROM repositories WHERE name = $1)
            """, Text(repository.Value), Text(tag)) > 0, cancellationToken);

    public async Task<Page<string>?> ListTagsAsync(RepositoryName repository, int? limit, string? last, CancellationToken cancellationToken)
    {
        // One round trip: no row means no such repository; one row with a null name, no tags.
        await using var command = Command("""
            SELECT t.name FROM repositories r
            LEFT JOIN LATERAL (
                SELECT name FROM tags WHERE repository_id = r.id AND name > $2 ORDER BY name LIMIT $3
            ) t ON true
            WHERE r.name = $1
            """, Text(repository.Value), Text(last ?? ""), QueryLimit(limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        var items = new List<string>();
        do
        {
            if (!reader.IsDBNull(0))
            {
                items.Add(reader.GetString(0));
            }
        }
        while (await reader.ReadAsync(cancellationToken));
        return ToPage(items, limit);
    }

    public async Task<Page<string>> ListRepositoriesAsync(int? limit, string? last, CancellationToken cancellationToken)
    {
        await using var command = Command(
            "SELECT name FROM repositories WHERE name > $1 ORDER BY name LIMIT $2",
            Text(last ?? ""), QueryLimit(limit));
        var items = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(reader.GetString(0));
        }
        return ToPage(items, limit);
    }
}
