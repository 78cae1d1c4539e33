using Npgsql;
using Wharf.Distribution;
using Wharf.Gc;
using Wharf.Manifests;

namespace Wharf.Metadata.PostgreSql;

public sealed partial class PostgreSqlMetadataStore
{
    private const string ManifestColumns = "m.digest, m.media_type, m.size, m.subject_digest, m.artifact_type, m.annotations";

    public async Task<ManifestRecord?> GetManifestAsync(RepositoryName repository, Reference reference, CancellationToken cancellationToken)
    {
        await using var command = reference.IsDigest
            ? Command($"""
                SELECT {ManifestColumns}, m.payload FROM manifests m JOIN repositories r ON r.id = m.repository_id
                WHERE r.name = $1 AND m.digest = $2
                """, Text(repository.Value), Text(reference.Digest.ToString()!))
            : Command($"""
                SELECT {ManifestColumns}, m.payload FROM tags t
                JOIN repositories r ON r.id = t.repository_id
                JOIN manifests m ON m.id = t.manifest_id
                WHERE r.name = $1 AND t.name = $2
                """, Text(repository.Value), Text(reference.TagName!));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? ReadManifest(reader, withPayload: true)
            : null;
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

    /// <param name="withPayload">The row's seventh column is the payload (one record allocated
    /// per read, not one and then a copy with the payload).</param>
    private static ManifestRecord ReadManifest(NpgsqlDataReader reader, bool withPayload = false) =>
        new(Digest.Parse(reader.GetString(0)), reader.GetString(1), reader.GetInt64(2))
        {
            Subject = reader.IsDBNull(3) ? null : Digest.Parse(reader.GetString(3)),
            ArtifactType = reader.IsDBNull(4) ? null : reader.GetString(4),
            AnnotationsJson = reader.IsDBNull(5) ? null : reader.GetString(5),
            Payload = withPayload && !reader.IsDBNull(6) ? reader.GetFieldValue<byte[]>(6) : null,
        };

    public Task<IReadOnlyList<Digest>> FindMissingManifestsAsync(RepositoryName repository, IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken) =>
        FindMissingAsync("""
            SELECT 1 FROM manifests m JOIN repositories r ON r.id = m.repository_id
            WHERE r.name = $1 AND m.digest = d.digest
            """, repository, digests, cancellationToken);

    public Task PutManifestAsync(RepositoryName repository, ManifestRecord manifest, IReadOnlyCollection<(Digest Digest, ReferenceKind Kind)> references, IReadOnlyCollection<string> tags, CancellationToken cancellationToken,
        IReadOnlyCollection<Digest>? requiredBlobs = null, IReadOnlyCollection<Digest>? requiredManifests = null) =>
        WriteAsync(async (connection, now) =>
        {
            // Shared locks on the manifest's own digest and everything it names, first: a review or
            // a scrub that deletes any of them (exclusive) has either committed, and the checks below
            // see it, or waits until this push commits and then sees the manifest using them.
            await LockSharedAsync(connection, [manifest.Digest, .. references.Select(r => r.Digest), .. requiredBlobs ?? [], .. requiredManifests ?? []]);
            // Checked again here, under the locks: garbage collection may have taken a blob since
            // the service checked, and a manifest must never be recorded without its content.
            if (await IsBeingDeletedAsync(connection, manifest.Digest.ToString(), now))
            {
                throw new BlobBeingDeletedException(manifest.Digest);
            }
            if (requiredBlobs is { Count: > 0 })
            {
                await ThrowIfMissingAsync(connection, """
                    SELECT 1 FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
                    WHERE r.name = $1 AND rb.digest = d.digest
                    """, repository, requiredBlobs, isManifest: false);
            }
            if (requiredManifests is { Count: > 0 })
            {
                await ThrowIfMissingAsync(connection, """
                    SELECT 1 FROM manifests m JOIN repositories r ON r.id = m.repository_id
                    WHERE r.name = $1 AND m.digest = d.digest
                    """, repository, requiredManifests, isManifest: true);
            }
            var repositoryId = await EnsureRepositoryAsync(connection, repository, now);
            // The manifest's bytes are a blob like any other; recording it lets GC account for them.
            await EnsureBlobAsync(connection, manifest.Digest, manifest.Size, now);
            var (manifestId, inserted) = await EnsureManifestAsync(connection, repositoryId, manifest, references, now);
            if (tags.Count == 0 && inserted)
            {
                // Pushed by digest alone: nothing keeps it unless an index or a subject will.
                await QueueReviewAsync(connection, ManifestCandidateKind, repositoryId, manifest.Digest.ToString(), now + ReviewDelay);
            }
            if (tags.Count > 0)
            {
                await PointTagsAsync(connection, repositoryId, manifestId, tags, now, now + ReviewDelay);
            }
            return true;
        }, cancellationToken);

    /// <summary>Throws <see cref="MissingContentException"/> for the first of <paramref name="digests"/>
    /// that <paramref name="existsQuery"/> (given <c>$1</c> the repository and <c>d.digest</c>) does
    /// not find.</summary>
    private static async Task ThrowIfMissingAsync(NpgsqlConnection connection, string existsQuery, RepositoryName repository, IReadOnlyCollection<Digest> digests, bool isManifest)
    {
        var all = digests.ToArray();
        await using var command = Command(connection, $"""
            SELECT d.n FROM unnest($2::text[]) WITH ORDINALITY AS d(digest, n)
            WHERE NOT EXISTS ({existsQuery})
            ORDER BY d.n LIMIT 1
            """, Text(repository.Value), Value(all.Select(d => d.ToString()).ToArray()));
        if (await command.ExecuteScalarAsync() is long n)
        {
            throw new MissingContentException(all[n - 1], isManifest);
        }
    }

    /// <summary>Points every one of <paramref name="tags"/> at the manifest, and queues for review the
    /// manifests the tags are moved away from.</summary>
    private static async Task PointTagsAsync(NpgsqlConnection connection, long repositoryId, long manifestId, IReadOnlyCollection<string> tags, DateTimeOffset now, DateTimeOffset dueAt)
    {
        // Distinct, because one statement may not update a row twice; sorted, so that two pushes
        // tagging the same names lock them in the same order and cannot deadlock.
        var pending = tags.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        while (pending.Length > 0)
        {
            // The tags that exist: locked first, so that the manifest each names is the one this push
            // moves it away from, even when another push moves it at the same time (FOR UPDATE waits
            // for that one and reads the row it committed).
            var existing = new List<string>();
            var movedFrom = new HashSet<long>();
            await using (var select = Command(connection, """
                SELECT name, manifest_id FROM tags WHERE repository_id = $1 AND name = ANY($2::text[]) ORDER BY name FOR UPDATE
                """, Value(repositoryId), Value(pending)))
            await using (var reader = await select.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    existing.Add(reader.GetString(0));
                    if (reader.GetInt64(1) != manifestId)
                    {
                        movedFrom.Add(reader.GetInt64(1));
                    }
                }
            }
            if (movedFrom.Count > 0)
            {
                await ExecuteAsync(connection, QueueSql($"""
                    SELECT {ManifestCandidateKind}, repository_id, digest, $2 FROM manifests WHERE id = ANY($1::bigint[]) ORDER BY digest
                    """), Value(movedFrom.ToArray()), Value(dueAt));
            }
            if (existing.Count > 0)
            {
                await ExecuteAsync(connection, """
                    UPDATE tags SET manifest_id = $3, updated_at = $4 WHERE repository_id = $1 AND name = ANY($2::text[])
                    """, Value(repositoryId), Value(existing.ToArray()), Value(manifestId), Value(now));
            }
            var missing = pending.Except(existing, StringComparer.Ordinal).ToArray();
            if (missing.Length == 0)
            {
                return;
            }
            // The new ones. One that another push created meanwhile conflicts (after waiting for it to
            // commit) and goes round again, to be moved and its manifest queued as above.
            var created = new List<string>();
            await using (var insert = Command(connection, """
                INSERT INTO tags (repository_id, name, manifest_id, updated_at)
                SELECT $1, t.name, $3, $4 FROM unnest($2::text[]) WITH ORDINALITY AS t(name, n) ORDER BY t.n
                ON CONFLICT (repository_id, name) DO NOTHING
                RETURNING name
                """, Value(repositoryId), Value(missing), Value(manifestId), Value(now)))
            await using (var reader = await insert.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    created.Add(reader.GetString(0));
                }
            }
            pending = missing.Except(created, StringComparer.Ordinal).ToArray();
        }
    }

    // Idempotent: a manifest already there keeps its row and references. Either way the row is
    // locked (FOR SHARE, or as our own insert) until commit, so a concurrent delete cannot remove
    // it between here and the tags that are about to point at it. Inserted tells whether this
    // transaction stored it.
    private static async Task<(long Id, bool Inserted)> EnsureManifestAsync(NpgsqlConnection connection, long repositoryId, ManifestRecord manifest, IReadOnlyCollection<(Digest Digest, ReferenceKind Kind)> references, DateTimeOffset now)
    {
        while (true)
        {
            await using (var select = Command(connection,
                "SELECT id FROM manifests WHERE repository_id = $1 AND digest = $2 FOR SHARE",
                Value(repositoryId), Text(manifest.Digest.ToString())))
            {
                if (await select.ExecuteScalarAsync() is long existing)
                {
                    if (manifest.StoredPayload is { } payload)
                    {
                        // Stored before manifests kept their bytes: this push fills them in.
                        await using var fill = Command(connection, "UPDATE manifests SET payload = $1 WHERE id = $2 AND payload IS NULL", Value(payload), Value(existing));
                        await fill.ExecuteNonQueryAsync();
                    }
                    return (existing, false);
                }
            }
            await using (var insert = Command(connection, """
                INSERT INTO manifests (repository_id, digest, media_type, size, subject_digest, artifact_type, annotations, created_at, payload)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                ON CONFLICT (repository_id, digest) DO NOTHING
                RETURNING id
                """,
                Value(repositoryId), Text(manifest.Digest.ToString()), Text(manifest.MediaType), Value(manifest.Size),
                Text(manifest.Subject?.ToString()), Text(manifest.ArtifactType), Text(manifest.AnnotationsJson), Value(now), Bytes(manifest.StoredPayload)))
            {
                if (await insert.ExecuteScalarAsync() is long inserted)
                {
                    await InsertReferencesAsync(connection, inserted, references);
                    return (inserted, true);
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
        WriteAsync(async (connection, now) =>
        {
            // Locked, so that a concurrent delete of it waits and then finds nothing to do, and what
            // it held is queued once.
            long manifestId, repositoryId;
            await using (var command = Command(connection, """
                SELECT m.id, m.repository_id FROM manifests m JOIN repositories r ON r.id = m.repository_id
                WHERE r.name = $1 AND m.digest = $2
                FOR UPDATE OF m
                """, Text(repository.Value), Text(digest.ToString())))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                if (!await reader.ReadAsync())
                {
                    return false;
                }
                (manifestId, repositoryId) = (reader.GetInt64(0), reader.GetInt64(1));
            }
            await QueueWhatManifestHeldAsync(connection, repositoryId, manifestId, digest.ToString(), now + ReviewDelay);
            // Tags and references go with the manifest (ON DELETE CASCADE).
            await ExecuteAsync(connection, "DELETE FROM manifests WHERE id = $1", Value(manifestId));
            return true;
        }, cancellationToken);

    public Task<bool> DeleteTagAsync(RepositoryName repository, string tag, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, now) =>
        {
            await using var command = Command(connection, """
                DELETE FROM tags
                WHERE name = $2 AND repository_id = (SELECT id FROM repositories WHERE name = $1)
                RETURNING manifest_id
                """, Text(repository.Value), Text(tag));
            if (await command.ExecuteScalarAsync() is not long manifestId)
            {
                return false;
            }
            // The manifest it named is reviewed: untagged, it may be garbage.
            await ExecuteAsync(connection, QueueSql($"""
                SELECT {ManifestCandidateKind}, repository_id, digest, $2 FROM manifests WHERE id = $1
                """), Value(manifestId), Value(now + ReviewDelay));
            return true;
        }, cancellationToken);

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
