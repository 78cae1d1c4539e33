using System.Data;
using Microsoft.Data.Sqlite;
using Wharf.Distribution;
using Wharf.Gc;
using Wharf.Manifests;
using Wharf.Storage;

namespace Wharf.Metadata;

/// <summary>
/// The embedded metadata store: one SQLite file in WAL mode. Readers run concurrently on pooled
/// connections; writers are serialised in-process (SQLite allows one writer at a time anyway, and
/// waiting on a semaphore is cheaper than spinning on SQLITE_BUSY).
/// </summary>
public sealed partial class SqliteMetadataStore : IMetadataStore, IDisposable
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TimeProvider _time;

    public SqliteMetadataStore(string databaseFile, TimeProvider? time = null)
        : this(databaseFile, time, readOnly: false)
    {
    }

    private SqliteMetadataStore(string databaseFile, TimeProvider? time, bool readOnly)
    {
        _time = time ?? TimeProvider.System;
        if (!readOnly)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databaseFile))!);
        }
        _connectionString = ConnectionString(databaseFile, readOnly);
        ShareWriteGeneration(databaseFile);
        if (!readOnly)
        {
            Migrate();
        }
    }

    /// <summary>An existing Wharf database opened for reading only, its schema left as it is (the
    /// source of a copy must not change). Refuses a file that is not a Wharf database, or one of a
    /// newer Wharf than this.</summary>
    public static SqliteMetadataStore OpenReadOnly(string databaseFile)
    {
        var store = new SqliteMetadataStore(databaseFile, null, readOnly: true);
        var version = store.SchemaVersion;
        if (version < 1 || version > SqliteSchema.Migrations.Length)
        {
            store.Dispose();
            throw new InvalidDataException(version < 1
                ? $"{databaseFile} is not a Wharf metadata database"
                : $"{databaseFile} is at schema version {version}, newer than this Wharf knows ({SqliteSchema.Migrations.Length})");
        }
        return store;
    }

    /// <summary>The schema version this database is at (number of migrations applied).</summary>
    public int SchemaVersion
    {
        get
        {
            using var connection = Open();
            return Convert.ToInt32(Scalar(connection, null, "PRAGMA user_version"));
        }
    }

    private void Migrate()
    {
        using var connection = Open();
        // WAL lets readers proceed while one writer commits; the mode persists in the file.
        Execute(connection, null, "PRAGMA journal_mode=WAL");
        var version = Convert.ToInt32(Scalar(connection, null, "PRAGMA user_version"));
        for (var i = version; i < SqliteSchema.Migrations.Length; i++)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, transaction, SqliteSchema.Migrations[i]);
            Execute(connection, transaction, $"PRAGMA user_version = {i + 1}");
            transaction.Commit();
            WritesCommitted();
        }
    }

    // --- Blobs and repository links ---

    public Task<long?> GetLinkedBlobSizeAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken) =>
        // The link holds the size (migration 8). A link without one, written by an older Wharf on
        // the same file, is answered from the blob's row.
        ReadAsync("""
            SELECT COALESCE(rb.size, (SELECT b.size FROM blobs b WHERE b.digest = rb.digest)) FROM repository_blobs rb
            JOIN repositories r ON r.id = rb.repository_id
            WHERE r.name = $repository AND rb.digest = $digest
            """, command => command.ExecuteScalar() is long size ? size : (long?)null,
            [("$repository", repository.Value), ("$digest", digest.ToString())], cancellationToken);

    public async Task<long?> GetBlobSizeAsync(Digest digest, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, null, "SELECT size FROM blobs WHERE digest = $digest", ("$digest", digest.ToString()));
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result is null or DBNull ? null : Convert.ToInt64(result);
    }

    public Task LinkBlobAsync(RepositoryName repository, Digest digest, long size, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) =>
        {
            var repositoryId = EnsureRepository(connection, transaction, repository);
            EnsureBlob(connection, transaction, digest, size);
            InsertLink(connection, transaction, repositoryId, digest, Now(), refreshCreatedAt: false);
            return true;
        }, cancellationToken);

    public Task<bool> UnlinkBlobAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) =>
        {
            if (Execute(connection, transaction, """
                DELETE FROM repository_blobs
                WHERE digest = $digest AND repository_id = (SELECT id FROM repositories WHERE name = $repository)
                """, ("$repository", repository.Value), ("$digest", digest.ToString())) == 0)
            {
                return false;
            }
            QueueReview(connection, transaction, GcCandidateKind.Blob, 0, digest.ToString(), Now() + ReviewDelayMs);
            return true;
        }, cancellationToken);

    public async Task<IReadOnlyList<Digest>> FindUnlinkedBlobsAsync(RepositoryName repository, IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        return await FindMissingAsync(connection, """
            SELECT 1 FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
            WHERE r.name = $repository AND rb.digest = $digest
            """, repository, digests, cancellationToken);
    }

    // --- Manifests and tags ---

    private const string ManifestColumns = "m.digest, m.media_type, m.size, m.subject_digest, m.artifact_type, m.annotations";

    private const string ManifestByDigestSql = $"""
        SELECT {ManifestColumns}, m.payload FROM manifests m JOIN repositories r ON r.id = m.repository_id
        WHERE r.name = $repository AND m.digest = $reference
        """;

    private const string ManifestByTagSql = $"""
        SELECT {ManifestColumns}, m.payload FROM tags t
        JOIN repositories r ON r.id = t.repository_id
        JOIN manifests m ON m.id = t.manifest_id
        WHERE r.name = $repository AND t.name = $reference
        """;

    public Task<ManifestRecord?> GetManifestAsync(RepositoryName repository, Reference reference, CancellationToken cancellationToken) =>
        ReadAsync(reference.IsDigest ? ManifestByDigestSql : ManifestByTagSql, command =>
        {
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadManifest(reader, withPayload: true) : null;
        }, [("$repository", repository.Value), ("$reference", reference.IsDigest ? reference.Digest.ToString()! : reference.TagName!)], cancellationToken);

    public async Task<IReadOnlyList<ManifestRecord>> ListReferrersAsync(RepositoryName repository, Digest subject, string? artifactType, CancellationToken cancellationToken)
    {
        // Served by the partial index on (repository_id, subject_digest): no scan, however many
        // signatures, SBOMs and attestations an image collects.
        await using var connection = Open();
        await using var command = Command(connection, null, $"""
            SELECT {ManifestColumns} FROM manifests m JOIN repositories r ON r.id = m.repository_id
            WHERE r.name = $repository AND m.subject_digest = $subject
              AND ($artifactType IS NULL OR m.artifact_type = $artifactType)
            ORDER BY m.digest
            """, ("$repository", repository.Value), ("$subject", subject.ToString()), ("$artifactType", artifactType));
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
    private static ManifestRecord ReadManifest(SqliteDataReader reader, bool withPayload = false) =>
        new(Digest.Parse(reader.GetString(0)), reader.GetString(1), reader.GetInt64(2))
        {
            Subject = reader.IsDBNull(3) ? null : Digest.Parse(reader.GetString(3)),
            ArtifactType = reader.IsDBNull(4) ? null : reader.GetString(4),
            AnnotationsJson = reader.IsDBNull(5) ? null : reader.GetString(5),
            Payload = withPayload && !reader.IsDBNull(6) ? (byte[])reader.GetValue(6) : null,
        };

    public async Task<IReadOnlyList<Digest>> FindMissingManifestsAsync(RepositoryName repository, IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        return await FindMissingAsync(connection, """
            SELECT 1 FROM manifests m JOIN repositories r ON r.id = m.repository_id
            WHERE r.name = $repository AND m.digest = $digest
            """, repository, digests, cancellationToken);
    }

    public Task PutManifestAsync(RepositoryName repository, ManifestRecord manifest, IReadOnlyCollection<(Digest Digest, ReferenceKind Kind)> references, IReadOnlyCollection<string> tags, CancellationToken cancellationToken,
        IReadOnlyCollection<Digest>? requiredBlobs = null, IReadOnlyCollection<Digest>? requiredManifests = null) =>
        WriteAsync((connection, transaction) =>
        {
            // Checked again here, under the write lock: garbage collection may have taken a blob since
            // the service checked, and a manifest must never be recorded without its content.
            if (IsBeingDeleted(connection, transaction, manifest.Digest.ToString(), Now()))
            {
                throw new BlobBeingDeletedException(manifest.Digest);
            }
            foreach (var digest in requiredBlobs ?? [])
            {
                if (Scalar(connection, transaction, """
                    SELECT 1 FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id WHERE r.name = $repository AND rb.digest = $digest
                    """, ("$repository", repository.Value), ("$digest", digest.ToString())) is null)
                {
                    throw new MissingContentException(digest, isManifest: false);
                }
            }
            foreach (var digest in requiredManifests ?? [])
            {
                if (Scalar(connection, transaction, """
                    SELECT 1 FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.name = $repository AND m.digest = $digest
                    """, ("$repository", repository.Value), ("$digest", digest.ToString())) is null)
                {
                    throw new MissingContentException(digest, isManifest: true);
                }
            }
            var repositoryId = EnsureRepository(connection, transaction, repository);
            // The manifest's bytes are a blob like any other; recording it lets GC account for them.
            EnsureBlob(connection, transaction, manifest.Digest, manifest.Size);
            var now = Now();
            var existing = Scalar(connection, transaction, "SELECT id FROM manifests WHERE repository_id = $id AND digest = $digest",
                ("$id", repositoryId), ("$digest", manifest.Digest.ToString()));
            long manifestId;
            if (existing is long id)
            {
                manifestId = id;
                if (manifest.StoredPayload is { } payload)
                {
                    // Stored before manifests kept their bytes: this push fills them in.
                    Execute(connection, transaction, "UPDATE manifests SET payload = $payload WHERE id = $id AND payload IS NULL",
                        ("$payload", payload), ("$id", id));
                }
            }
            else
            {
                manifestId = Convert.ToInt64(Scalar(connection, transaction, """
                    INSERT INTO manifests (repository_id, digest, media_type, size, subject_digest, artifact_type, annotations, created_at, payload)
                    VALUES ($id, $digest, $mediaType, $size, $subject, $artifactType, $annotations, $now, $payload)
                    RETURNING id
                    """,
                    ("$id", repositoryId), ("$digest", manifest.Digest.ToString()), ("$mediaType", manifest.MediaType),
                    ("$size", manifest.Size), ("$subject", manifest.Subject?.ToString()), ("$artifactType", manifest.ArtifactType),
                    ("$annotations", manifest.AnnotationsJson), ("$now", now), ("$payload", manifest.StoredPayload)));
                using var insert = Command(connection, transaction,
                    "INSERT INTO manifest_references (manifest_id, digest, kind) VALUES ($manifest, $digest, $kind) ON CONFLICT DO NOTHING",
                    ("$manifest", manifestId), ("$digest", ""), ("$kind", 0));
                foreach (var (digest, kind) in references)
                {
                    insert.Parameters["$digest"].Value = digest.ToString();
                    insert.Parameters["$kind"].Value = (int)kind;
                    insert.ExecuteNonQuery();
                }
            }
            if (tags.Count == 0 && existing is null)
            {
                // Pushed by digest alone: nothing keeps it unless an index or a subject will.
                QueueReview(connection, transaction, GcCandidateKind.Manifest, repositoryId, manifest.Digest.ToString(), now + ReviewDelayMs);
            }
            if (tags.Count > 0)
            {
                // Tags moved away from another manifest leave that one to review.
                using (var moved = Command(connection, transaction, QueueSql("""
                    SELECT 2, $id, m.digest, $due FROM tags t JOIN manifests m ON m.id = t.manifest_id
                    WHERE t.repository_id = $id AND t.name = $tag AND t.manifest_id <> $manifest
                    """), ("$id", repositoryId), ("$tag", ""), ("$manifest", manifestId), ("$due", now + ReviewDelayMs)))
                {
                    foreach (var tag in tags)
                    {
                        moved.Parameters["$tag"].Value = tag;
                        moved.ExecuteNonQuery();
                    }
                }
                using var upsert = Command(connection, transaction, """
                    INSERT INTO tags (repository_id, name, manifest_id, updated_at) VALUES ($id, $tag, $manifest, $now)
                    ON CONFLICT (repository_id, name) DO UPDATE SET manifest_id = excluded.manifest_id, updated_at = excluded.updated_at
                    """, ("$id", repositoryId), ("$tag", ""), ("$manifest", manifestId), ("$now", now));
                foreach (var tag in tags)
                {
                    upsert.Parameters["$tag"].Value = tag;
                    upsert.ExecuteNonQuery();
                }
            }
            return true;
        }, cancellationToken);

    public Task<bool> DeleteManifestAsync(RepositoryName repository, Digest digest, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) =>
        {
            long manifestId, repositoryId;
            using (var command = Command(connection, transaction, """
                SELECT m.id, m.repository_id FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.name = $repository AND m.digest = $digest
                """, ("$repository", repository.Value), ("$digest", digest.ToString())))
            using (var reader = command.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return false;
                }
                (manifestId, repositoryId) = (reader.GetInt64(0), reader.GetInt64(1));
            }
            QueueWhatManifestHeld(connection, transaction, repositoryId, manifestId, digest.ToString(), Now() + ReviewDelayMs);
            // Tags and references go with the manifest (ON DELETE CASCADE).
            Execute(connection, transaction, "DELETE FROM manifests WHERE id = $id", ("$id", manifestId));
            return true;
        }, cancellationToken);

    public Task<bool> DeleteTagAsync(RepositoryName repository, string tag, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) =>
        {
            // The manifest it named is reviewed: untagged, it may be garbage.
            Execute(connection, transaction, QueueSql("""
                SELECT 2, t.repository_id, m.digest, $due FROM tags t
                JOIN repositories r ON r.id = t.repository_id JOIN manifests m ON m.id = t.manifest_id
                WHERE r.name = $repository AND t.name = $tag
                """), ("$repository", repository.Value), ("$tag", tag), ("$due", Now() + ReviewDelayMs));
            return Execute(connection, transaction, """
                DELETE FROM tags
                WHERE name = $tag AND repository_id = (SELECT id FROM repositories WHERE name = $repository)
                """, ("$repository", repository.Value), ("$tag", tag)) > 0;
        }, cancellationToken);

    public async Task<Page<string>?> ListTagsAsync(RepositoryName repository, int? limit, string? last, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        var repositoryId = Scalar(connection, null, "SELECT id FROM repositories WHERE name = $name", ("$name", repository.Value));
        if (repositoryId is not long id)
        {
            return null;
        }
        await using var command = Command(connection, null,
            "SELECT name FROM tags WHERE repository_id = $id AND name > $last ORDER BY name LIMIT $limit",
            ("$id", id), ("$last", last ?? ""), ("$limit", QueryLimit(limit)));
        return await ReadPageAsync(command, limit, cancellationToken);
    }

    public async Task<Page<string>> ListRepositoriesAsync(int? limit, string? last, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, null,
            "SELECT name FROM repositories WHERE name > $last ORDER BY name LIMIT $limit",
            ("$last", last ?? ""), ("$limit", QueryLimit(limit)));
        return await ReadPageAsync(command, limit, cancellationToken);
    }

    // --- Upload sessions ---

    public Task CreateUploadAsync(UploadSession session, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => Execute(connection, transaction,
            "INSERT INTO uploads (id, repository, started_at) VALUES ($id, $repository, $startedAt)",
            ("$id", session.Id.Value), ("$repository", session.Repository.Value), ("$startedAt", session.StartedAt.ToUnixTimeMilliseconds())), cancellationToken);

    public async Task<UploadSession?> GetUploadAsync(UploadId id, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, null, "SELECT repository, started_at FROM uploads WHERE id = $id", ("$id", id.Value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new UploadSession(id, RepositoryName.Parse(reader.GetString(0)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));
    }

    public Task DeleteUploadAsync(UploadId id, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => Execute(connection, transaction, "DELETE FROM uploads WHERE id = $id", ("$id", id.Value)), cancellationToken);

    public async Task<IReadOnlyList<UploadSession>> ListUploadsStartedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, null,
            "SELECT id, repository, started_at FROM uploads WHERE started_at < $cutoff ORDER BY started_at LIMIT $limit",
            ("$cutoff", cutoff.ToUnixTimeMilliseconds()), ("$limit", limit));
        var sessions = new List<UploadSession>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (UploadId.TryParse(reader.GetString(0), out var id) && RepositoryName.TryParse(reader.GetString(1), out var repository))
            {
                sessions.Add(new UploadSession(id, repository, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))));
            }
        }
        return sessions;
    }

    // --- Leases ---

    public Task<bool> TryAcquireLeaseAsync(string name, string holder, TimeSpan duration, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) =>
        {
            var now = Now();
            // The update happens only when the lease is free, expired or already this holder's.
            return Execute(connection, transaction, """
                INSERT INTO leases (name, holder, expires_at) VALUES ($name, $holder, $expires)
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE leases.holder = excluded.holder OR leases.expires_at <= $now
                """, ("$name", name), ("$holder", holder), ("$expires", now + (long)duration.TotalMilliseconds), ("$now", now)) > 0;
        }, cancellationToken);

    public Task ReleaseLeaseAsync(string name, string holder, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => Execute(connection, transaction,
            "DELETE FROM leases WHERE name = $name AND holder = $holder", ("$name", name), ("$holder", holder)), cancellationToken);

    // --- Secrets ---

    public Task<string> GetOrAddSecretAsync(string name, string valueIfAbsent, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) =>
        {
            Execute(connection, transaction, "INSERT INTO secrets (name, value) VALUES ($name, $value) ON CONFLICT DO NOTHING",
                ("$name", name), ("$value", valueIfAbsent));
            return (string)Scalar(connection, transaction, "SELECT value FROM secrets WHERE name = $name", ("$name", name))!;
        }, cancellationToken);

    // --- Accounting ---

    public async Task<MetadataCounts> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, null, """
            SELECT (SELECT COUNT(*) FROM repositories), (SELECT COUNT(*) FROM blobs), (SELECT COUNT(*) FROM repository_blobs),
                   (SELECT COUNT(*) FROM manifests), (SELECT COUNT(*) FROM tags), (SELECT COALESCE(SUM(size), 0) FROM blobs)
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new MetadataCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
    }

    public void Dispose()
    {
        DisposeReaders();
        _writeLock.Dispose();
        ReleasePool(_connectionString);
    }

    /// <summary>Closes the pooled connections to <paramref name="databaseFile"/> (named as the store
    /// was given it), so that the file can be moved or deleted once its store is disposed (a
    /// store's own reading connections close with it). Only that database's: clearing every
    /// pool in the process races with other stores opening connections at the same moment (the
    /// connection just taken from a pool is disposed under its opener).</summary>
    public static void ReleaseConnections(string databaseFile)
    {
        ReleasePool(ConnectionString(databaseFile, readOnly: false));
        ReleasePool(ConnectionString(databaseFile, readOnly: true));
    }

    private static void ReleasePool(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection);
    }

    private static string ConnectionString(string databaseFile, bool readOnly) => new SqliteConnectionStringBuilder
    {
        DataSource = databaseFile,
        Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = true,
        ForeignKeys = true,
        DefaultTimeout = 30,
    }.ToString();

    // --- Helpers ---

    /// <summary>SQLite's page cache per connection, in bytes (SQLite's own default is 2 MiB). A
    /// connection is open per query running at once, so this times that number is what the caches
    /// may take; the operating system caches the file besides.</summary>
    public long PageCacheBytes { get; init; } = DefaultPageCacheBytes;

    public const long DefaultPageCacheBytes = 2 * 1024 * 1024;

    // The physical connections (pooled under many SqliteConnection objects) already sized.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> _sized = [];

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        if (connection.Handle is { } handle && !(_sized.TryGetValue(handle, out var size) && (long)size == PageCacheBytes))
        {
            // Once per physical connection, not per request: the pool hands the same one back.
            Execute(connection, null, $"PRAGMA cache_size = -{Math.Max(64, PageCacheBytes / 1024)}");
            _sized.AddOrUpdate(handle, PageCacheBytes);
        }
        return connection;
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken)
    {
        // A write, once begun, is finished even if the client goes away: the bytes it records are
        // already durable, and a half-done request must not leave them unrecorded.
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var connection = Open();
            using var transaction = connection.BeginTransaction(IsolationLevel.Serializable);
            var result = work(connection, transaction);
            transaction.Commit();
            WritesCommitted();
            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private long EnsureRepository(SqliteConnection connection, SqliteTransaction transaction, RepositoryName repository) =>
        Convert.ToInt64(Scalar(connection, transaction, """
            INSERT INTO repositories (name, created_at) VALUES ($name, $now)
            ON CONFLICT (name) DO UPDATE SET name = excluded.name
            RETURNING id
            """, ("$name", repository.Value), ("$now", Now())));

    /// <summary>Links a blob whose row exists into a repository, with the size its row holds.
    /// <paramref name="refreshCreatedAt"/>: a link that exists is made new again (an upload or a
    /// mount that garbage collection must not take for an old, unused one).</summary>
    private static void InsertLink(SqliteConnection connection, SqliteTransaction transaction, long repositoryId, Digest digest, long now, bool refreshCreatedAt) =>
        Execute(connection, transaction, $"""
            INSERT INTO repository_blobs (repository_id, digest, size, created_at)
            SELECT $id, digest, size, $now FROM blobs WHERE digest = $digest
            ON CONFLICT DO UPDATE SET size = excluded.size{(refreshCreatedAt ? ", created_at = excluded.created_at" : "")}
            """, ("$id", repositoryId), ("$digest", digest.ToString()), ("$now", now));

    private void EnsureBlob(SqliteConnection connection, SqliteTransaction transaction, Digest digest, long size) =>
        Execute(connection, transaction, "INSERT INTO blobs (digest, size, created_at) VALUES ($digest, $size, $now) ON CONFLICT DO NOTHING",
            ("$digest", digest.ToString()), ("$size", size), ("$now", Now()));

    private static async Task<IReadOnlyList<Digest>> FindMissingAsync(SqliteConnection connection, string existsQuery, RepositoryName repository, IReadOnlyCollection<Digest> digests, CancellationToken cancellationToken)
    {
        var missing = new List<Digest>();
        await using var command = Command(connection, null, existsQuery, ("$repository", repository.Value), ("$digest", ""));
        foreach (var digest in digests.Distinct())
        {
            command.Parameters["$digest"].Value = digest.ToString();
            if (await command.ExecuteScalarAsync(cancellationToken) is null)
            {
                missing.Add(digest);
            }
        }
        return missing;
    }

    // One row more than asked for tells whether another page follows.
    private static long QueryLimit(int? limit) => limit is { } n ? (long)n + 1 : -1;

    private static async Task<Page<string>> ReadPageAsync(SqliteCommand command, int? limit, CancellationToken cancellationToken)
    {
        var items = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(reader.GetString(0));
        }
        var hasMore = limit is { } n && items.Count > n;
        if (hasMore)
        {
            items.RemoveAt(items.Count - 1);
        }
        return new Page<string>(items, hasMore);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }

    private static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteScalar();
    }
}
