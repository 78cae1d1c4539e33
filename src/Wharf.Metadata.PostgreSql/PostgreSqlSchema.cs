namespace Wharf.Metadata.PostgreSql;

/// <summary>
/// The PostgreSQL schema as an ordered list of migrations; version N means the first N are
/// applied, as recorded in <c>schema_migrations</c>. Append new migrations; never edit one that
/// has shipped. The tables mirror the SQLite schema (<c>SqliteSchema</c>) with PostgreSQL types.
/// </summary>
internal static class PostgreSqlSchema
{
    /// <summary>The table that records which migrations are applied; created before the first one.</summary>
    public const string VersionTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version     integer PRIMARY KEY,
            applied_at  timestamptz NOT NULL DEFAULT now()
        )
        """;

    // Names, tags and digests are COLLATE "C": ORDER BY and the `>` of pagination then compare
    // bytes, as SQLite does and as the spec's lexical order means, whatever the database's locale.
    public static readonly string[] Migrations =
    [
        // 1: the initial schema.
        """
        CREATE TABLE repositories (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name        text COLLATE "C" NOT NULL UNIQUE,
            created_at  timestamptz NOT NULL
        );
        CREATE TABLE blobs (
            digest      text COLLATE "C" PRIMARY KEY,
            size        bigint NOT NULL,
            created_at  timestamptz NOT NULL
        );
        -- Which blobs each repository may read (distribution's _layers links).
        CREATE TABLE repository_blobs (
            repository_id bigint NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
            digest        text COLLATE "C" NOT NULL REFERENCES blobs(digest),
            created_at    timestamptz NOT NULL,
            PRIMARY KEY (repository_id, digest)
        );
        CREATE INDEX repository_blobs_by_digest ON repository_blobs(digest);
        CREATE TABLE manifests (
            id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            repository_id   bigint NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
            digest          text COLLATE "C" NOT NULL,
            media_type      text NOT NULL,
            size            bigint NOT NULL,
            subject_digest  text COLLATE "C",
            artifact_type   text,
            -- text, not jsonb: handed back exactly as stored.
            annotations     text,
            created_at      timestamptz NOT NULL,
            UNIQUE (repository_id, digest)
        );
        CREATE INDEX manifests_by_subject ON manifests(repository_id, subject_digest) WHERE subject_digest IS NOT NULL;
        -- What each manifest points at (config, layers, child manifests, subject): for GC and referrers.
        CREATE TABLE manifest_references (
            manifest_id bigint NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
            digest      text COLLATE "C" NOT NULL,
            kind        smallint NOT NULL,
            PRIMARY KEY (manifest_id, digest, kind)
        );
        CREATE INDEX manifest_references_by_digest ON manifest_references(digest);
        CREATE TABLE tags (
            repository_id bigint NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
            name          text COLLATE "C" NOT NULL,
            manifest_id   bigint NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
            updated_at    timestamptz NOT NULL,
            PRIMARY KEY (repository_id, name)
        );
        CREATE INDEX tags_by_manifest ON tags(manifest_id);
        CREATE TABLE uploads (
            id          text COLLATE "C" PRIMARY KEY,
            repository  text NOT NULL,
            started_at  timestamptz NOT NULL
        );
        CREATE INDEX uploads_by_start ON uploads(started_at);
        """,
        // 2: leases, so that background work runs in one replica at a time.
        """
        CREATE TABLE leases (
            name        text COLLATE "C" PRIMARY KEY,
            holder      text NOT NULL,
            expires_at  timestamptz NOT NULL
        );
        """,
        // 3: secrets shared by every replica (e.g. the built-in token service's key).
        """
        CREATE TABLE secrets (
            name        text COLLATE "C" PRIMARY KEY,
            value       text NOT NULL
        );
        """,
        // 4: online garbage collection, as SQLite's migration 4: the review queue (a blob's row has
        // repository_id 0), deletions whose bytes may not be gone yet, the digest an upload claims,
        // and small values that outlive processes (e.g. where the scrub stopped).
        """
        CREATE TABLE gc_reviews (
            kind           smallint NOT NULL,
            repository_id  bigint NOT NULL,
            digest         text COLLATE "C" NOT NULL,
            due_at         timestamptz NOT NULL,
            claimed_by     text,
            claimed_until  timestamptz,
            PRIMARY KEY (kind, repository_id, digest)
        );
        CREATE INDEX gc_reviews_by_due ON gc_reviews(due_at);
        CREATE TABLE gc_deletions (
            digest      text COLLATE "C" PRIMARY KEY,
            started_at  timestamptz NOT NULL
        );
        ALTER TABLE uploads ADD COLUMN digest text COLLATE "C";
        CREATE INDEX uploads_by_digest ON uploads(digest) WHERE digest IS NOT NULL;
        -- A blob's review asks whether any repository's manifest is that blob.
        CREATE INDEX manifests_by_digest ON manifests(digest);
        CREATE TABLE progress (
            name        text COLLATE "C" PRIMARY KEY,
            value       text NOT NULL
        );
        """,
        // 5: the outbox of notification events, one row per event and endpoint. A row
        // is due when next_attempt_at has passed; claiming it pushes next_attempt_at forward.
        """
        CREATE TABLE event_outbox (
            sequence        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            destination     text COLLATE "C" NOT NULL,
            payload         text NOT NULL,
            created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
            next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            attempts        integer NOT NULL DEFAULT 0
        );
        CREATE INDEX event_outbox_due ON event_outbox(destination, next_attempt_at, sequence);
        """,
        // 6: when each manifest was last pulled, as SQLite's migration 6 (Proxy:MaxAge). Nullable
        // without a default: added without rewriting the table.
        """
        ALTER TABLE manifests ADD COLUMN pulled_at timestamptz;
        """,
        // 7: a small manifest's bytes with its row, as SQLite's migration 7 (one query per pull
        // that misses the cache, no object read). Nullable without a default: no table rewrite.
        """
        ALTER TABLE manifests ADD COLUMN payload bytea;
        """,
    ];
}
