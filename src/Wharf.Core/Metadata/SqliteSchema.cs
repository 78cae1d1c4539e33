namespace Wharf.Metadata;

/// <summary>
/// The SQLite schema as an ordered list of migrations. The database's <c>user_version</c> is the
/// number of migrations applied; start-up applies the rest, each in its own transaction. Append
/// new migrations; never edit one that has shipped.
/// </summary>
internal static class SqliteSchema
{
    public static readonly string[] Migrations =
    [
        // 1: the initial schema.
        """
        CREATE TABLE repositories (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            created_at  INTEGER NOT NULL
        );
        CREATE TABLE blobs (
            digest      TEXT PRIMARY KEY,
            size        INTEGER NOT NULL,
            created_at  INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- Which blobs each repository may read (distribution's _layers links).
        CREATE TABLE repository_blobs (
            repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
            digest        TEXT NOT NULL REFERENCES blobs(digest),
            created_at    INTEGER NOT NULL,
            PRIMARY KEY (repository_id, digest)
        ) WITHOUT ROWID;
        CREATE INDEX repository_blobs_by_digest ON repository_blobs(digest);
        CREATE TABLE manifests (
            id              INTEGER PRIMARY KEY,
            repository_id   INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
            digest          TEXT NOT NULL,
            media_type      TEXT NOT NULL,
            size            INTEGER NOT NULL,
            subject_digest  TEXT,
            artifact_type   TEXT,
            annotations     TEXT,
            created_at      INTEGER NOT NULL,
            UNIQUE (repository_id, digest)
        );
        CREATE INDEX manifests_by_subject ON manifests(repository_id, subject_digest) WHERE subject_digest IS NOT NULL;
        -- What each manifest points at (config, layers, child manifests, subject): for GC and referrers.
        CREATE TABLE manifest_references (
            manifest_id INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
            digest      TEXT NOT NULL,
            kind        INTEGER NOT NULL,
            PRIMARY KEY (manifest_id, digest, kind)
        ) WITHOUT ROWID;
        CREATE INDEX manifest_references_by_digest ON manifest_references(digest);
        CREATE TABLE tags (
            repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
            name          TEXT NOT NULL,
            manifest_id   INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
            updated_at    INTEGER NOT NULL,
            PRIMARY KEY (repository_id, name)
        ) WITHOUT ROWID;
        CREATE INDEX tags_by_manifest ON tags(manifest_id);
        CREATE TABLE uploads (
            id          TEXT PRIMARY KEY,
            repository  TEXT NOT NULL,
            started_at  INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
        // 2: leases, so that background work runs in one process at a time.
        """
        CREATE TABLE leases (
            name        TEXT PRIMARY KEY,
            holder      TEXT NOT NULL,
            expires_at  INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
        // 3: secrets shared by every process on this store.
        """
        CREATE TABLE secrets (
            name        TEXT PRIMARY KEY,
            value       TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
        // 4: online garbage collection. The review queue (a blob: repository_id 0), deletions whose
        // bytes may not be gone yet, upload claims on a digest, and small progress values.
        """
        CREATE TABLE gc_reviews (
            kind           INTEGER NOT NULL,
            repository_id  INTEGER NOT NULL,
            digest         TEXT NOT NULL,
            due_at         INTEGER NOT NULL,
            claimed_by     TEXT,
            claimed_until  INTEGER,
            PRIMARY KEY (kind, repository_id, digest)
        ) WITHOUT ROWID;
        CREATE INDEX gc_reviews_by_due ON gc_reviews(due_at);
        CREATE TABLE gc_deletions (
            digest      TEXT PRIMARY KEY,
            started_at  INTEGER NOT NULL
        ) WITHOUT ROWID;
        ALTER TABLE uploads ADD COLUMN digest TEXT;
        CREATE INDEX uploads_by_digest ON uploads(digest) WHERE digest IS NOT NULL;
        CREATE INDEX manifests_by_digest ON manifests(digest);
        CREATE TABLE progress (
            name        TEXT PRIMARY KEY,
            value       TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
        // 5: the outbox of notification events, one row per event and endpoint. A row
        // is due when next_attempt_at has passed; claiming it pushes next_attempt_at forward.
        """
        CREATE TABLE event_outbox (
            sequence        INTEGER PRIMARY KEY AUTOINCREMENT,
            destination     TEXT NOT NULL,
            payload         TEXT NOT NULL,
            created_at      INTEGER NOT NULL,
            next_attempt_at INTEGER NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX event_outbox_due ON event_outbox(destination, next_attempt_at, sequence);
        """,
        // 6: when each manifest was last pulled (through a pull-through cache), so that cached
        // images nobody pulls any more can expire (Proxy:MaxAge); null until a pull is recorded.
        """
        ALTER TABLE manifests ADD COLUMN pulled_at INTEGER;
        """,
        // 7: a small manifest's bytes with its row, so that a pull that misses the in-memory
        // cache is one indexed query and no file open. Null for large ones and for those stored
        // before this (a push of the same manifest fills it in).
        """
        ALTER TABLE manifests ADD COLUMN payload BLOB;
        """,
        // 8: a blob's size with each repository's link to it, so that a blob HEAD descends two
        // B-trees (the repository's name, its link), not three: on a store far larger than the page
        // cache, the blobs table's leaf was one more page read from the file for every HEAD. Filled
        // in for the links there are (once: about 12 s for 1.1 million links on a 2-core machine).
        """
        ALTER TABLE repository_blobs ADD COLUMN size INTEGER;
        UPDATE repository_blobs SET size = (SELECT b.size FROM blobs b WHERE b.digest = repository_blobs.digest);
        """,
    ];
}
