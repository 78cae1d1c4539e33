using Microsoft.Data.Sqlite;
using Wharf.Distribution;
using Wharf.Gc;
using Wharf.Manifests;
using Wharf.Storage;

namespace Wharf.Metadata;

/// <summary>Garbage collection's side of the SQLite store: the review queue, the re-checks, and the
/// accounting. Every write holds the store's write lock, so a re-check and the push it races with
/// never interleave.</summary>
public sealed partial class SqliteMetadataStore
{
    private const int SubjectKind = (int)ReferenceKind.Subject;
    private const int ManifestKind = (int)ReferenceKind.Manifest;

    public TimeSpan ReviewDelay { get; set; } = GcRules.DefaultReviewDelay;

    private long ReviewDelayMs => (long)ReviewDelay.TotalMilliseconds;

    // --- Events: what each records for review ---

    private static void QueueReview(SqliteConnection connection, SqliteTransaction transaction, GcCandidateKind kind, long repositoryId, string digest, long dueAt) =>
        Execute(connection, transaction, QueueSql("VALUES ($kind, $repository, $digest, $due)"),
            ("$kind", (int)kind), ("$repository", repositoryId), ("$digest", digest), ("$due", dueAt));

    // A candidate queued again keeps the later time and is freed from a claim: the worker holding it
    // will not consume it, and it is reviewed once more after this event.
    private static string QueueSql(string rows) => $"""
        INSERT INTO gc_reviews (kind, repository_id, digest, due_at) {rows}
        ON CONFLICT (kind, repository_id, digest) DO UPDATE SET due_at = MAX(due_at, excluded.due_at), claimed_by = NULL, claimed_until = NULL
        """;

    /// <summary>Before a manifest row goes: its own bytes, what it references, its children and its
    /// referrers are queued.</summary>
    private static void QueueWhatManifestHeld(SqliteConnection connection, SqliteTransaction transaction, long repositoryId, long manifestId, string digest, long dueAt) =>
        Execute(connection, transaction, QueueSql($"""
            SELECT * FROM (
                SELECT 1, 0, $digest, $due
                UNION SELECT 1, 0, digest, $due FROM manifest_references WHERE manifest_id = $manifest AND kind <> {SubjectKind}
                UNION SELECT 2, $repository, digest, $due FROM manifest_references WHERE manifest_id = $manifest AND kind = {ManifestKind}
                UNION SELECT 2, $repository, digest, $due FROM manifests WHERE repository_id = $repository AND subject_digest = $digest
            ) WHERE true
            """), ("$digest", digest), ("$due", dueAt), ("$manifest", manifestId), ("$repository", repositoryId));

    private static bool IsBeingDeleted(SqliteConnection connection, SqliteTransaction transaction, string digest, long now)
    {
        // One read in the usual case (no deletion). A deletion older than GcRules.StaleDeletion was
        // left by a process that died before deleting the bytes; nobody is deleting them now, so it
        // no longer stands in the way.
        if (Scalar(connection, transaction, "SELECT started_at FROM gc_deletions WHERE digest = $digest", ("$digest", digest)) is not long startedAt)
        {
            return false;
        }
        var stale = now - (long)GcRules.StaleDeletion.TotalMilliseconds;
        if (startedAt >= stale)
        {
            return true;
        }
        Execute(connection, transaction, "DELETE FROM gc_deletions WHERE digest = $digest", ("$digest", digest));
        return false;
    }

    public Task<bool> TryClaimBlobAsync(UploadSession session, Digest digest, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) =>
        {
            var now = Now();
            if (IsBeingDeleted(connection, transaction, digest.ToString(), now))
            {
                return false;
            }
            Execute(connection, transaction, """
                INSERT INTO uploads (id, repository, started_at, digest) VALUES ($id, $repository, $startedAt, $digest)
                ON CONFLICT (id) DO UPDATE SET digest = excluded.digest
                """, ("$id", session.Id.Value), ("$repository", session.Repository.Value),
                ("$startedAt", session.StartedAt.ToUnixTimeMilliseconds()), ("$digest", digest.ToString()));
            QueueReview(connection, transaction, GcCandidateKind.Blob, 0, digest.ToString(), now + ReviewDelayMs);
            return true;
        }, cancellationToken);

    public Task CompleteUploadAsync(UploadId id, RepositoryName repository, Digest digest, long size, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) =>
        {
            var repositoryId = EnsureRepository(connection, transaction, repository);
            EnsureBlob(connection, transaction, digest, size);
            InsertLink(connection, transaction, repositoryId, digest, Now(), refreshCreatedAt: true);
            Execute(connection, transaction, "DELETE FROM uploads WHERE id = $id", ("$id", id.Value));
            return true;
        }, cancellationToken);

    public Task<bool> LinkExistingBlobAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) =>
        {
            var now = Now();
            if (Scalar(connection, transaction, "SELECT 1 FROM blobs WHERE digest = $digest", ("$digest", digest.ToString())) is null)
            {
                return false;
            }
            var repositoryId = EnsureRepository(connection, transaction, repository);
            InsertLink(connection, transaction, repositoryId, digest, now, refreshCreatedAt: true);
            QueueReview(connection, transaction, GcCandidateKind.Blob, 0, digest.ToString(), now + ReviewDelayMs);
            return true;
        }, cancellationToken);

    // --- The queue ---

    public Task QueueReviewsAsync(IReadOnlyCollection<GcCandidate> candidates, DateTimeOffset dueAt, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) =>
        {
            foreach (var candidate in candidates)
            {
                var repositoryId = candidate.Repository is { } repository ? EnsureRepository(connection, transaction, repository) : 0;
                Execute(connection, transaction, """
                    INSERT INTO gc_reviews (kind, repository_id, digest, due_at) VALUES ($kind, $repository, $digest, $due)
                    ON CONFLICT (kind, repository_id, digest) DO UPDATE SET due_at = MIN(due_at, excluded.due_at)
                    """, ("$kind", (int)candidate.Kind), ("$repository", repositoryId), ("$digest", candidate.Digest.ToString()), ("$due", dueAt.ToUnixTimeMilliseconds()));
            }
            return true;
        }, cancellationToken);

    public Task<IReadOnlyList<GcCandidate>> ClaimReviewsAsync(string worker, int limit, TimeSpan claimFor, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<GcCandidate>>((connection, transaction) =>
        {
            var now = Now();
            var claimed = new List<(int Kind, long RepositoryId, string Digest)>();
            using (var command = Command(connection, transaction, """
                UPDATE gc_reviews SET claimed_by = $worker, claimed_until = $until
                WHERE (kind, repository_id, digest) IN (
                    SELECT kind, repository_id, digest FROM gc_reviews
                    WHERE due_at <= $now AND (claimed_until IS NULL OR claimed_until < $now)
                    ORDER BY due_at LIMIT $limit)
                RETURNING kind, repository_id, digest
                """, ("$worker", worker), ("$until", now + (long)claimFor.TotalMilliseconds), ("$now", now), ("$limit", limit)))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    claimed.Add((reader.GetInt32(0), reader.GetInt64(1), reader.GetString(2)));
                }
            }
            var candidates = new List<GcCandidate>(claimed.Count);
            foreach (var (kind, repositoryId, digest) in claimed)
            {
                if (!Digest.TryParse(digest, out var parsed))
                {
                    continue;
                }
                if (kind == (int)GcCandidateKind.Manifest)
                {
                    if (Scalar(connection, transaction, "SELECT name FROM repositories WHERE id = $id", ("$id", repositoryId)) is string name
                        && RepositoryName.TryParse(name, out var repository))
                    {
                        candidates.Add(GcCandidate.Manifest(repository, parsed));
                    }
                }
                else
                {
                    candidates.Add(GcCandidate.Blob(parsed));
                }
            }
            return candidates;
        }, cancellationToken);

    // --- Re-checks ---

    public Task<BlobReview> ReviewBlobAsync(string worker, Digest digest, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) =>
        {
            var now = Now();
            var value = digest.ToString();
            Execute(connection, transaction, "DELETE FROM gc_reviews WHERE kind = 1 AND repository_id = 0 AND digest = $digest AND claimed_by = $worker",
                ("$digest", value), ("$worker", worker));
            if (IsBeingDeleted(connection, transaction, value, now))
            {
                // Another worker is deleting the bytes now. (A deletion left by a dead process no
                // longer counts: this review starts it over.)
                return BlobReview.Kept;
            }

            // Each repository's link, and whether something in that repository uses the blob.
            var links = new List<(long RepositoryId, string Name, long CreatedAt, bool Used)>();
            using (var command = Command(connection, transaction, $"""
                SELECT rb.repository_id, r.name, rb.created_at,
                       EXISTS (SELECT 1 FROM manifests m WHERE m.repository_id = rb.repository_id AND m.digest = rb.digest)
                    OR EXISTS (SELECT 1 FROM manifest_references mr JOIN manifests m ON m.id = mr.manifest_id
                               WHERE mr.digest = rb.digest AND mr.kind <> {SubjectKind} AND m.repository_id = rb.repository_id)
                FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
                WHERE rb.digest = $digest
                """, ("$digest", value)))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    links.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3) != 0));
                }
            }
            var cutoff = now - ReviewDelayMs;
            var unlinkedFrom = new List<RepositoryName>();
            long? reviewAgainAt = null;
            var linksLeft = 0;
            foreach (var link in links)
            {
                if (!link.Used && link.CreatedAt <= cutoff)
                {
                    Execute(connection, transaction, "DELETE FROM repository_blobs WHERE repository_id = $id AND digest = $digest",
                        ("$id", link.RepositoryId), ("$digest", value));
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
                    reviewAgainAt = Math.Max(reviewAgainAt ?? 0, link.CreatedAt + ReviewDelayMs);
                }
            }

            var referenced = Scalar(connection, transaction, $"""
                SELECT EXISTS (SELECT 1 FROM manifests WHERE digest = $digest)
                    OR EXISTS (SELECT 1 FROM manifest_references WHERE digest = $digest AND kind <> {SubjectKind})
                """, ("$digest", value)) is long r && r != 0;
            var claimed = Scalar(connection, transaction, "SELECT 1 FROM uploads WHERE digest = $digest", ("$digest", value)) is not null;
            if (claimed)
            {
                // An upload is completing it: look again once it surely has.
                reviewAgainAt = Math.Max(reviewAgainAt ?? 0, now + Math.Max(ReviewDelayMs, (long)GcRules.ClaimedRecheck.TotalMilliseconds));
            }
            if (reviewAgainAt is { } again)
            {
                QueueReview(connection, transaction, GcCandidateKind.Blob, 0, value, again);
            }
            if (linksLeft > 0 || referenced || claimed)
            {
                return new BlobReview(false, null, unlinkedFrom);
            }
            var size = Scalar(connection, transaction, "SELECT size FROM blobs WHERE digest = $digest", ("$digest", value)) as long?;
            Execute(connection, transaction, "DELETE FROM blobs WHERE digest = $digest", ("$digest", value));
            Execute(connection, transaction, "INSERT INTO gc_deletions (digest, started_at) VALUES ($digest, $now) ON CONFLICT DO NOTHING",
                ("$digest", value), ("$now", now));
            return new BlobReview(true, size, unlinkedFrom);
        }, cancellationToken);

    public Task<bool> ReviewManifestAsync(string worker, RepositoryName repository, Digest digest, bool deleteUntagged, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) =>
        {
            var value = digest.ToString();
            if (Scalar(connection, transaction, "SELECT id FROM repositories WHERE name = $name", ("$name", repository.Value)) is not long repositoryId)
            {
                return false;
            }
            Execute(connection, transaction, "DELETE FROM gc_reviews WHERE kind = 2 AND repository_id = $repository AND digest = $digest AND claimed_by = $worker",
                ("$repository", repositoryId), ("$digest", value), ("$worker", worker));
            if (!deleteUntagged)
            {
                return false;
            }
            long manifestId;
            string? subject;
            using (var command = Command(connection, transaction, "SELECT id, subject_digest FROM manifests WHERE repository_id = $repository AND digest = $digest",
                ("$repository", repositoryId), ("$digest", value)))
            using (var reader = command.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return false;
                }
                manifestId = reader.GetInt64(0);
                subject = reader.IsDBNull(1) ? null : reader.GetString(1);
            }
            var kept = Scalar(connection, transaction, $"""
                SELECT EXISTS (SELECT 1 FROM tags WHERE manifest_id = $manifest)
                    OR EXISTS (SELECT 1 FROM manifest_references mr JOIN manifests p ON p.id = mr.manifest_id
                               WHERE mr.digest = $digest AND mr.kind = {ManifestKind} AND p.repository_id = $repository AND p.id <> $manifest)
                    OR EXISTS (SELECT 1 FROM manifests s WHERE s.repository_id = $repository AND s.digest = $subject)
                """, ("$manifest", manifestId), ("$digest", value), ("$repository", repositoryId), ("$subject", subject)) is long k && k != 0;
            if (kept)
            {
                return false;
            }
            QueueWhatManifestHeld(connection, transaction, repositoryId, manifestId, value, Now());
            Execute(connection, transaction, "DELETE FROM manifests WHERE id = $manifest", ("$manifest", manifestId));
            return true;
        }, cancellationToken);

    // --- Deletions in flight ---

    public async Task<IReadOnlyList<PendingBlobDeletion>> ListBlobDeletionsAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, null, "SELECT digest, started_at FROM gc_deletions WHERE started_at < $before ORDER BY started_at",
            ("$before", startedBefore.ToUnixTimeMilliseconds()));
        var pending = new List<PendingBlobDeletion>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (Digest.TryParse(reader.GetString(0), out var digest))
            {
                pending.Add(new PendingBlobDeletion(digest, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1))));
            }
        }
        return pending;
    }

    public Task FinishBlobDeletionAsync(Digest digest, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => Execute(connection, transaction, "DELETE FROM gc_deletions WHERE digest = $digest", ("$digest", digest.ToString())), cancellationToken);

    public async Task<IReadOnlyList<Digest>> FindUnknownBlobsAsync(IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        var unknown = new List<Digest>();
        await using var command = Command(connection, null, "SELECT 1 FROM blobs WHERE digest = $digest", ("$digest", ""));
        foreach (var digest in digests)
        {
            command.Parameters["$digest"].Value = digest.ToString();
            if (await command.ExecuteScalarAsync(cancellationToken) is null)
            {
                unknown.Add(digest);
            }
        }
        return unknown;
    }

    // --- The whole picture in one pass ---

    public async Task<GarbagePlan> PlanCollectionAsync(DateTimeOffset now, bool deleteUntagged, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        // One read transaction: the three answers describe the same moment.
        await using var transaction = connection.BeginTransaction(deferred: true);
        var parameters = new (string, object?)[] { ("$all", deleteUntagged ? 0 : 1), ("$cutoff", now.ToUnixTimeMilliseconds() - ReviewDelayMs) };
        var manifests = ReadPairs(connection, transaction, GcPlanSql.GarbageManifests, parameters);
        var links = ReadPairs(connection, transaction, GcPlanSql.RemovableLinks, parameters);
        var blobs = new List<(Digest, long)>();
        var waiting = new List<Digest>();
        using (var command = Command(connection, transaction, GcPlanSql.UnusedBlobs, parameters))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                // A row Wharf did not write (a name or digest it would refuse) is left alone.
                if (!Digest.TryParse(reader.GetString(0), out var digest))
                {
                    continue;
                }
                if (reader.GetInt64(2) != 0)
                {
                    waiting.Add(digest);
                }
                else
                {
                    blobs.Add((digest, reader.GetInt64(1)));
                }
            }
        }
        return new GarbagePlan(manifests, links, blobs, waiting);
    }

    /// <summary>(repository name, digest) rows; one Wharf would not have written is left alone.</summary>
    private static List<(RepositoryName, Digest)> ReadPairs(SqliteConnection connection, SqliteTransaction transaction, string sql, (string, object?)[] parameters)
    {
        var pairs = new List<(RepositoryName, Digest)>();
        using var command = Command(connection, transaction, sql, parameters);
        using var reader = command.ExecuteReader();
        while (reader.Read())
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
        await using var connection = Open();
        await using var transaction = connection.BeginTransaction(deferred: true);
        long blobs, bytes, queued, due;
        using (var command = Command(connection, transaction, """
            SELECT (SELECT COUNT(*) FROM blobs), (SELECT COALESCE(SUM(size), 0) FROM blobs),
                   (SELECT COUNT(*) FROM gc_reviews), (SELECT COUNT(*) FROM gc_reviews WHERE due_at <= $now)
            """, ("$now", now.ToUnixTimeMilliseconds())))
        using (var reader = command.ExecuteReader())
        {
            reader.Read();
            (blobs, bytes, queued, due) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        }
        var repositories = new List<RepositoryUsage>();
        using (var command = Command(connection, transaction, GcPlanSql.RepositoryUsage))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                if (RepositoryName.TryParse(reader.GetString(0), out var repository))
                {
                    repositories.Add(new RepositoryUsage(repository, reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
                }
            }
        }
        return new StorageUsage(blobs, bytes, repositories, queued, due);
    }

    // --- Integrity scrub ---

    public async Task<IReadOnlyList<StoredBlob>> ListBlobsAsync(Digest? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, null, "SELECT digest, size FROM blobs WHERE digest > $after ORDER BY digest LIMIT $limit",
            ("$after", after?.ToString() ?? ""), ("$limit", limit));
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
        WriteAsync((connection, transaction) =>
        {
            var value = digest.ToString();
            Execute(connection, transaction, "DELETE FROM repository_blobs WHERE digest = $digest", ("$digest", value));
            if (Execute(connection, transaction, "DELETE FROM blobs WHERE digest = $digest", ("$digest", value)) == 0)
            {
                return false;
            }
            Execute(connection, transaction, "INSERT INTO gc_deletions (digest, started_at) VALUES ($digest, $now) ON CONFLICT DO UPDATE SET started_at = excluded.started_at",
                ("$digest", value), ("$now", Now()));
            return true;
        }, cancellationToken);

    public async Task<string?> GetProgressAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, null, "SELECT value FROM progress WHERE name = $name", ("$name", name));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public Task SetProgressAsync(string name, string? value, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => value is null
            ? Execute(connection, transaction, "DELETE FROM progress WHERE name = $name", ("$name", name))
            : Execute(connection, transaction, "INSERT INTO progress (name, value) VALUES ($name, $value) ON CONFLICT DO UPDATE SET value = excluded.value",
                ("$name", name), ("$value", value)), cancellationToken);
}
