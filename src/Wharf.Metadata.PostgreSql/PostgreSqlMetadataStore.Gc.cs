using System.Data;
using System.Globalization;
using Npgsql;
using Wharf.Distribution;
using Wharf.Gc;
using Wharf.Manifests;
using Wharf.Storage;

namespace Wharf.Metadata.PostgreSql;

/// <summary>
/// Garbage collection's side of the PostgreSQL store: the review queue, the re-checks, and the
/// accounting. The SQLite store keeps a re-check and the push it races with apart by its in-process
/// write lock; here the writers are in other processes and run in READ COMMITTED, so they meet on
/// transaction-scoped advisory locks keyed by digest, taken as the first statement of the
/// transaction: a re-check that may delete a digest's rows takes the digest's lock exclusively, and
/// a write that needs those rows to stay takes it shared. Whichever comes second waits for the first
/// to commit, and every statement it runs after the lock sees what the first committed.
/// </summary>
public sealed partial class PostgreSqlMetadataStore
{
    private const short BlobKind = (short)GcCandidateKind.Blob;
    private const short ManifestCandidateKind = (short)GcCandidateKind.Manifest;
    private const int SubjectKind = (int)ReferenceKind.Subject;
    private const int ManifestKind = (int)ReferenceKind.Manifest;

    public TimeSpan ReviewDelay { get; set; } = GcRules.DefaultReviewDelay;

    // --- Locks on digests ---

    /// <summary>The advisory lock key of a digest: its first 64 bits. Digests are hashes, so keys
    /// spread evenly; two digests sharing a key only wait for each other, never miss a conflict.</summary>
    private static long LockKey(Digest digest) =>
        long.Parse(digest.Hex.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    /// <summary>Taken by what may delete the digest's rows (a review, forgetting a broken blob).</summary>
    private static Task<int> LockExclusiveAsync(NpgsqlConnection connection, Digest digest) =>
        ExecuteAsync(connection, "SELECT pg_advisory_xact_lock($1)", Value(LockKey(digest)));

    /// <summary>Taken by what needs the digests' rows to stay until it commits. Several are locked in
    /// the order of their keys, the same in every transaction, so two of these never deadlock with
    /// each other over an exclusive lock waiting between them.</summary>
    private static Task<int> LockSharedAsync(NpgsqlConnection connection, IEnumerable<Digest> digests)
    {
        var keys = digests.Select(LockKey).Distinct().Order().ToArray();
        return ExecuteAsync(connection, """
            SELECT pg_advisory_xact_lock_shared(k.key) FROM unnest($1::bigint[]) WITH ORDINALITY AS k(key, n) ORDER BY k.n
            """, Value(keys));
    }

    // --- Events: what each records for review ---

    // A candidate queued again keeps the later time and is freed from a claim: the worker holding it
    // will not consume it, and it is reviewed once more after this event. The rows must be distinct
    // in (kind, repository_id, digest): one statement may not update a row twice.
    private static string QueueSql(string rows) => $"""
        INSERT INTO gc_reviews (kind, repository_id, digest, due_at) {rows}
        ON CONFLICT (kind, repository_id, digest) DO UPDATE
        SET due_at = GREATEST(gc_reviews.due_at, excluded.due_at), claimed_by = NULL, claimed_until = NULL
        """;

    private static Task<int> QueueReviewAsync(NpgsqlConnection connection, short kind, long repositoryId, string digest, DateTimeOffset dueAt) =>
        ExecuteAsync(connection, QueueSql("VALUES ($1, $2, $3, $4)"), Value(kind), Value(repositoryId), Text(digest), Value(dueAt));

    private static Task<int> QueueBlobReviewAsync(NpgsqlConnection connection, Digest digest, DateTimeOffset dueAt) =>
        QueueReviewAsync(connection, BlobKind, 0, digest.ToString(), dueAt);

    /// <summary>Before a manifest row goes: its own bytes, what it references, its children and its
    /// referrers are queued.</summary>
    private static Task<int> QueueWhatManifestHeldAsync(NpgsqlConnection connection, long repositoryId, long manifestId, string digest, DateTimeOffset dueAt) =>
        ExecuteAsync(connection, QueueSql($"""
            SELECT c.kind, c.repository_id, c.digest, $4 FROM (
                SELECT {BlobKind}::smallint AS kind, 0::bigint AS repository_id, $3::text AS digest
                UNION SELECT {BlobKind}, 0, digest FROM manifest_references WHERE manifest_id = $2 AND kind <> {SubjectKind}
                UNION SELECT {ManifestCandidateKind}, $1, digest FROM manifest_references WHERE manifest_id = $2 AND kind = {ManifestKind}
                UNION SELECT {ManifestCandidateKind}, $1, digest FROM manifests WHERE repository_id = $1 AND subject_digest = $3
            ) c
            ORDER BY c.kind, c.repository_id, c.digest
            """), Value(repositoryId), Value(manifestId), Text(digest), Value(dueAt));

    private static async Task<bool> IsBeingDeletedAsync(NpgsqlConnection connection, string digest, DateTimeOffset now)
    {
        // One read in the usual case (no deletion). A deletion older than GcRules.StaleDeletion was
        // left by a process that died before deleting the bytes; nobody is deleting them now, so it
        // no longer stands in the way.
        DateTimeOffset startedAt;
        switch (await ScalarAsync(connection, "SELECT started_at FROM gc_deletions WHERE digest = $1", Text(digest)))
        {
            case DateTime utc:
                startedAt = new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
                break;
            case DateTimeOffset offset:
                startedAt = offset;
                break;
            default:
                return false;
        }
        if (startedAt >= now - GcRules.StaleDeletion)
        {
            return true;
        }
        await ExecuteAsync(connection, "DELETE FROM gc_deletions WHERE digest = $1 AND started_at < $2", Text(digest), Value(now - GcRules.StaleDeletion));
        return false;
    }

    public Task<bool> TryClaimBlobAsync(UploadSession session, Digest digest, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, now) =>
        {
            // Shared: a review of the digest either committed its deletion before (seen below) or
            // starts after this commits and sees the claim.
            await LockSharedAsync(connection, [digest]);
            if (await IsBeingDeletedAsync(connection, digest.ToString(), now))
            {
                return false;
            }
            await ExecuteAsync(connection, """
                INSERT INTO uploads (id, repository, started_at, digest) VALUES ($1, $2, $3, $4)
                ON CONFLICT (id) DO UPDATE SET digest = excluded.digest
                """, Text(session.Id.Value), Text(session.Repository.Value), Value(session.StartedAt.ToUniversalTime()), Text(digest.ToString()));
            await QueueBlobReviewAsync(connection, digest, now + ReviewDelay);
            return true;
        }, cancellationToken);

    public Task CompleteUploadAsync(UploadId id, RepositoryName repository, Digest digest, long size, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, now) =>
        {
            // The upload's claim keeps reviews off the blob; the shared lock also keeps one that
            // already runs from deleting the row this is about to link.
            await LockSharedAsync(connection, [digest]);
            var repositoryId = await EnsureRepositoryAsync(connection, repository, now);
            await EnsureBlobAsync(connection, digest, size, now);
            await ExecuteAsync(connection, """
                INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES ($1, $2, $3)
                ON CONFLICT (repository_id, digest) DO UPDATE SET created_at = excluded.created_at
                """, Value(repositoryId), Text(digest.ToString()), Value(now));
            await ExecuteAsync(connection, "DELETE FROM uploads WHERE id = $1", Text(id.Value));
            return true;
        }, cancellationToken);

    public Task<bool> LinkExistingBlobAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, now) =>
        {
            // Shared: a review that deletes the blob either committed before (its row is gone, seen
            // below) or starts after this commits and sees the new link.
            await LockSharedAsync(connection, [digest]);
            if (await ScalarAsync(connection, "SELECT 1 FROM blobs WHERE digest = $1", Text(digest.ToString())) is null)
            {
                return false;
            }
            var repositoryId = await EnsureRepositoryAsync(connection, repository, now);
            await ExecuteAsync(connection, """
                INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES ($1, $2, $3)
                ON CONFLICT (repository_id, digest) DO UPDATE SET created_at = excluded.created_at
                """, Value(repositoryId), Text(digest.ToString()), Value(now));
            await QueueBlobReviewAsync(connection, digest, now + ReviewDelay);
            return true;
        }, cancellationToken);

    // --- The queue ---

    public Task QueueReviewsAsync(IReadOnlyCollection<GcCandidate> candidates, DateTimeOffset dueAt, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, now) =>
        {
            var repositoryIds = new Dictionary<RepositoryName, long>();
            var rows = new List<(short Kind, long RepositoryId, string Digest)>();
            foreach (var candidate in candidates)
            {
                long repositoryId = 0;
                if (candidate.Repository is { } repository && !repositoryIds.TryGetValue(repository, out repositoryId))
                {
                    repositoryId = await EnsureRepositoryAsync(connection, repository, now);
                    repositoryIds[repository] = repositoryId;
                }
                rows.Add(((short)candidate.Kind, repositoryId, candidate.Digest.ToString()));
            }
            // One statement may not update a row twice: each candidate once (they share the time).
            rows = [.. rows.Distinct()];
            if (rows.Count == 0)
            {
                return true;
            }
            // One already queued keeps the earlier time (and its claim): a sweep that runs again does
            // not push back what it found before, and a full collection makes due now what it found.
            await ExecuteAsync(connection, """
                INSERT INTO gc_reviews (kind, repository_id, digest, due_at)
                SELECT c.kind, c.repository_id, c.digest, $4 FROM unnest($1::smallint[], $2::bigint[], $3::text[]) AS c(kind, repository_id, digest)
                ORDER BY c.kind, c.repository_id, c.digest
                ON CONFLICT (kind, repository_id, digest) DO UPDATE SET due_at = LEAST(gc_reviews.due_at, excluded.due_at)
                """, Value(rows.Select(r => r.Kind).ToArray()), Value(rows.Select(r => r.RepositoryId).ToArray()),
                Value(rows.Select(r => r.Digest).ToArray()), Value(dueAt.ToUniversalTime()));
            return true;
        }, cancellationToken);

    public Task<IReadOnlyList<GcCandidate>> ClaimReviewsAsync(string worker, int limit, TimeSpan claimFor, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<GcCandidate>>(async (connection, now) =>
        {
            // SKIP LOCKED: workers claiming at once (replicas) pass over the rows another is taking
            // rather than wait for it and then take them again; a row claimed by one that committed
            // meanwhile is re-checked against the WHERE on its new version and left out.
            await using var command = Command(connection, """
                WITH due AS (
                    SELECT kind, repository_id, digest FROM gc_reviews
                    WHERE due_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3)
                    ORDER BY due_at LIMIT $4
                    FOR UPDATE SKIP LOCKED
                ),
                claimed AS (
                    UPDATE gc_reviews g SET claimed_by = $1, claimed_until = $2
                    FROM due WHERE g.kind = due.kind AND g.repository_id = due.repository_id AND g.digest = due.digest
                    RETURNING g.kind, g.repository_id, g.digest
                )
                SELECT c.kind, c.digest, r.name FROM claimed c LEFT JOIN repositories r ON r.id = c.repository_id
                """, Text(worker), Value(now + claimFor), Value(now), Value((long)limit));
            var candidates = new List<GcCandidate>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                // A row written by something other than Wharf is skipped, not a reason to fail the review.
                if (!Digest.TryParse(reader.GetString(1), out var digest))
                {
                    continue;
                }
                if (reader.GetInt16(0) == ManifestCandidateKind)
                {
                    if (!reader.IsDBNull(2) && RepositoryName.TryParse(reader.GetString(2), out var repository))
                    {
                        candidates.Add(GcCandidate.Manifest(repository, digest));
                    }
                }
                else
                {
                    candidates.Add(GcCandidate.Blob(digest));
                }
            }
            return candidates;
        }, cancellationToken);

    // --- Re-checks ---

    public Task<BlobReview> ReviewBlobAsync(string worker, Digest digest, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, now) =>
        {
            // Exclusive, first: a push, upload claim or mount of this digest that committed before is
            // seen by every statement below; one that comes later waits until this commits and then
            // sees what was removed.
            await LockExclusiveAsync(connection, digest);
            var value = digest.ToString();
            await ExecuteAsync(connection, $"DELETE FROM gc_reviews WHERE kind = {BlobKind} AND repository_id = 0 AND digest = $1 AND claimed_by = $2",
                Text(value), Text(worker));
            if (await IsBeingDeletedAsync(connection, value, now))
            {
                // Another worker is deleting the bytes now. (A deletion left by a dead process no
                // longer counts: this review starts it over.)
                return BlobReview.Kept;
            }

            // Each repository's link, and whether something in that repository uses the blob.
            var links = new List<(long RepositoryId, string Name, DateTimeOffset CreatedAt, bool Used)>();
            await using (var command = Command(connection, $"""
                SELECT rb.repository_id, r.name, rb.created_at,
                       EXISTS (SELECT 1 FROM manifests m WHERE m.repository_id = rb.repository_id AND m.digest = rb.digest)
                    OR EXISTS (SELECT 1 FROM manifest_references mr JOIN manifests m ON m.id = mr.manifest_id
                               WHERE mr.digest = rb.digest AND mr.kind <> {SubjectKind} AND m.repository_id = rb.repository_id)
                FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
                WHERE rb.digest = $1
                ORDER BY r.name
                """, Text(value)))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    links.Add((reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetBoolean(3)));
                }
            }
            var cutoff = now - ReviewDelay;
            var unlinkedFrom = new List<RepositoryName>();
            DateTimeOffset? reviewAgainAt = null;
            var linksLeft = 0;
            foreach (var link in links)
            {
                if (!link.Used && link.CreatedAt <= cutoff)
                {
                    await ExecuteAsync(connection, "DELETE FROM repository_blobs WHERE repository_id = $1 AND digest = $2",
                        Value(link.RepositoryId), Text(value));
                    if (RepositoryName.TryParse(link.Name, out var name))
                    {
                        unlinkedFrom.Add(name);
                    }
                    continue;
                }
                linksLeft++;
                if (!link.Used)
                {
                    // Still within its grace: looked at again when that ends.
                    reviewAgainAt = Later(reviewAgainAt, link.CreatedAt + ReviewDelay);
                }
            }

            var referenced = await ScalarAsync(connection, $"""
                SELECT EXISTS (SELECT 1 FROM manifests WHERE digest = $1)
                    OR EXISTS (SELECT 1 FROM manifest_references WHERE digest = $1 AND kind <> {SubjectKind})
                """, Text(value)) is true;
            var claimed = await ScalarAsync(connection, "SELECT 1 FROM uploads WHERE digest = $1", Text(value)) is not null;
            if (claimed)
            {
                // An upload is completing it: look again once it surely has.
                reviewAgainAt = Later(reviewAgainAt, now + (ReviewDelay > GcRules.ClaimedRecheck ? ReviewDelay : GcRules.ClaimedRecheck));
            }
            if (reviewAgainAt is { } again)
            {
                await QueueBlobReviewAsync(connection, digest, again);
            }
            if (linksLeft > 0 || referenced || claimed)
            {
                return new BlobReview(false, null, unlinkedFrom);
            }
            var size = await ScalarAsync(connection, "DELETE FROM blobs WHERE digest = $1 RETURNING size", Text(value)) as long?;
            await ExecuteAsync(connection, "INSERT INTO gc_deletions (digest, started_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                Text(value), Value(now));
            return new BlobReview(true, size, unlinkedFrom);
        }, cancellationToken);

    private static DateTimeOffset Later(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;

    public Task<bool> ReviewManifestAsync(string worker, RepositoryName repository, Digest digest, bool deleteUntagged, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, now) =>
        {
            // Exclusive on the manifest's digest: a push of it again, of an index that lists it or of
            // a referrer of it takes the digest's lock shared (it is the pushed manifest or one of
            // its references), so it is stored either wholly before this looks or after it is gone.
            await LockExclusiveAsync(connection, digest);
            var value = digest.ToString();
            if (await ScalarAsync(connection, "SELECT id FROM repositories WHERE name = $1", Text(repository.Value)) is not long repositoryId)
            {
                return false;
            }
            await ExecuteAsync(connection, $"DELETE FROM gc_reviews WHERE kind = {ManifestCandidateKind} AND repository_id = $1 AND digest = $2 AND claimed_by = $3",
                Value(repositoryId), Text(value), Text(worker));
            if (!deleteUntagged)
            {
                return false;
            }
            long manifestId;
            string? subject;
            await using (var command = Command(connection, "SELECT id, subject_digest FROM manifests WHERE repository_id = $1 AND digest = $2 FOR UPDATE",
                Value(repositoryId), Text(value)))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                if (!await reader.ReadAsync())
                {
                    return false;
                }
                manifestId = reader.GetInt64(0);
                subject = reader.IsDBNull(1) ? null : reader.GetString(1);
            }
            var kept = await ScalarAsync(connection, $"""
                SELECT EXISTS (SELECT 1 FROM tags WHERE manifest_id = $1)
                    OR EXISTS (SELECT 1 FROM manifest_references mr JOIN manifests p ON p.id = mr.manifest_id
                               WHERE mr.digest = $2 AND mr.kind = {ManifestKind} AND p.repository_id = $3 AND p.id <> $1)
                    OR EXISTS (SELECT 1 FROM manifests s WHERE s.repository_id = $3 AND s.digest = $4)
                """, Value(manifestId), Text(value), Value(repositoryId), Text(subject)) is true;
            if (kept)
            {
                return false;
            }
            // What it held is reviewed now: this review already waited out the delay for it.
            await QueueWhatManifestHeldAsync(connection, repositoryId, manifestId, value, now);
            // Tags and references go with the manifest (ON DELETE CASCADE).
            await ExecuteAsync(connection, "DELETE FROM manifests WHERE id = $1", Value(manifestId));
            return true;
        }, cancellationToken);

    // --- Deletions in flight ---

    public async Task<IReadOnlyList<PendingBlobDeletion>> ListBlobDeletionsAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT digest, started_at FROM gc_deletions WHERE started_at < $1 ORDER BY started_at",
            Value(startedBefore.ToUniversalTime()));
        var pending = new List<PendingBlobDeletion>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (Digest.TryParse(reader.GetString(0), out var digest))
            {
                pending.Add(new PendingBlobDeletion(digest, reader.GetFieldValue<DateTimeOffset>(1)));
            }
        }
        return pending;
    }

    public Task FinishBlobDeletionAsync(Digest digest, CancellationToken cancellationToken) =>
        WriteAsync((connection, _) => ExecuteAsync(connection, "DELETE FROM gc_deletions WHERE digest = $1", Text(digest.ToString())), cancellationToken);

    public async Task<IReadOnlyList<Digest>> FindUnknownBlobsAsync(IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken)
    {
        var all = digests.ToArray();
        if (all.Length == 0)
        {
            return [];
        }
        // One statement for the whole set, answered in the order given.
        await using var command = Command("""
            SELECT d.n FROM unnest($1::text[]) WITH ORDINALITY AS d(digest, n)
            WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = d.digest)
            ORDER BY d.n
            """, Value(all.Select(d => d.ToString()).ToArray()));
        var unknown = new List<Digest>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            unknown.Add(all[reader.GetInt64(0) - 1]);
        }
        return unknown;
    }

    // --- The whole picture in one pass ---

    public async Task<GarbagePlan> PlanCollectionAsync(DateTimeOffset now, bool deleteUntagged, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        // One snapshot for the three statements: the answers describe the same moment.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        // Fresh parameters for each statement: a parameter belongs to one command. GarbageManifests
        // has no cutoff ($2).
        var cutoff = (now - ReviewDelay).ToUniversalTime();
        NpgsqlParameter[] Parameters(bool withCutoff = true) => withCutoff ? [Value(!deleteUntagged), Value(cutoff)] : [Value(!deleteUntagged)];
        var manifests = await ReadPairsAsync(connection, PostgreSqlGcSql.GarbageManifests, Parameters(withCutoff: false), cancellationToken);
        var links = await ReadPairsAsync(connection, PostgreSqlGcSql.RemovableLinks, Parameters(), cancellationToken);
        var blobs = new List<(Digest, long)>();
        var waiting = new List<Digest>();
        await using (var command = Command(connection, PostgreSqlGcSql.UnusedBlobs, Parameters()))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                // A row Wharf did not write (a name or digest it would refuse) is left alone.
                if (!Digest.TryParse(reader.GetString(0), out var digest))
                {
                    continue;
                }
                if (reader.GetBoolean(2))
                {
                    waiting.Add(digest);
                }
                else
                {
                    blobs.Add((digest, reader.GetInt64(1)));
                }
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return new GarbagePlan(manifests, links, blobs, waiting);
    }

    /// <summary>(repository name, digest) rows; one Wharf would not have written is left alone.</summary>
    private static async Task<List<(RepositoryName, Digest)>> ReadPairsAsync(NpgsqlConnection connection, string sql, NpgsqlParameter[] parameters, CancellationToken cancellationToken)
    {
        var pairs = new List<(RepositoryName, Digest)>();
        await using var command = Command(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (RepositoryName.TryParse(reader.GetString(0), out var repository) && Digest.TryParse(reader.GetString(1), out var digest))
            {
                pairs.Add((repository, digest));
            }
        }
        return pairs;
    }

    public async Task<StorageUsage> GetStorageUsageAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        long blobs, bytes, queued, due;
        await using (var command = Command(connection, """
            SELECT (SELECT count(*) FROM blobs), (SELECT coalesce(sum(size), 0)::bigint FROM blobs),
                   (SELECT count(*) FROM gc_reviews), (SELECT count(*) FROM gc_reviews WHERE due_at <= $1)
            """, Value(now.ToUniversalTime())))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (blobs, bytes, queued, due) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        }
        var repositories = new List<RepositoryUsage>();
        await using (var command = Command(connection, PostgreSqlGcSql.RepositoryUsage))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (RepositoryName.TryParse(reader.GetString(0), out var repository))
                {
                    repositories.Add(new RepositoryUsage(repository, reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
                }
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return new StorageUsage(blobs, bytes, repositories, queued, due);
    }

    // --- Integrity scrub ---

    public async Task<IReadOnlyList<StoredBlob>> ListBlobsAsync(Digest? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT digest, size FROM blobs WHERE digest > $1 ORDER BY digest LIMIT $2",
            Text(after?.ToString() ?? ""), Value((long)limit));
        var blobs = new List<StoredBlob>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (Digest.TryParse(reader.GetString(0), out var digest))
            {
                blobs.Add(new StoredBlob(digest, reader.GetInt64(1)));
            }
        }
        return blobs;
    }

    public Task<bool> ForgetBrokenBlobAsync(Digest digest, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, now) =>
        {
            // Exclusive, as a review: a push or mount that needs the blob's rows is stored wholly
            // before, or waits and then finds them gone.
            await LockExclusiveAsync(connection, digest);
            var value = digest.ToString();
            await ExecuteAsync(connection, "DELETE FROM repository_blobs WHERE digest = $1", Text(value));
            if (await ExecuteAsync(connection, "DELETE FROM blobs WHERE digest = $1", Text(value)) == 0)
            {
                return false;
            }
            await ExecuteAsync(connection, """
                INSERT INTO gc_deletions (digest, started_at) VALUES ($1, $2)
                ON CONFLICT (digest) DO UPDATE SET started_at = excluded.started_at
                """, Text(value), Value(now));
            return true;
        }, cancellationToken);

    public async Task<string?> GetProgressAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT value FROM progress WHERE name = $1", Text(name));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public Task SetProgressAsync(string name, string? value, CancellationToken cancellationToken) =>
        WriteAsync((connection, _) => value is null
            ? ExecuteAsync(connection, "DELETE FROM progress WHERE name = $1", Text(name))
            : ExecuteAsync(connection, "INSERT INTO progress (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                Text(name), Text(value)), cancellationToken);
}
