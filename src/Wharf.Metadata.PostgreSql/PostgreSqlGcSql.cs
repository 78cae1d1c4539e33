using Wharf.Manifests;

namespace Wharf.Metadata.PostgreSql;

/// <summary>
/// The PostgreSQL statements that see the whole store at once, as <c>GcPlanSql</c> does for SQLite:
/// what a full collection would remove, and who holds which bytes. A manifest is kept when a tag
/// points at it, when a kept index lists it, or when its subject is kept; with untagged collection
/// off (<c>$1</c> true) every manifest is kept. What a kept manifest is or references is used in its
/// repository; a link nothing uses is removable once created at or before <c>$2</c> (now less the
/// review delay); a blob nothing uses anywhere goes once no upload claims it and no link to it is
/// younger than that.
/// </summary>
internal static class PostgreSqlGcSql
{
    private const int SubjectKind = (int)ReferenceKind.Subject;
    private const int ManifestKind = (int)ReferenceKind.Manifest;

    // PostgreSQL allows the recursive term to name `kept` only once, so the two ways a kept manifest
    // keeps another (an index lists it; it is the subject of a referrer) are one LATERAL union per
    // kept row rather than two recursive branches. UNION (not ALL) drops rows already found, which
    // also ends the recursion on a cycle of indexes.
    private static readonly string Kept = $"""
        WITH RECURSIVE kept(id) AS (
            SELECT id FROM manifests WHERE $1::boolean
            UNION SELECT manifest_id FROM tags
            UNION SELECT next.id FROM kept k
                JOIN manifests p ON p.id = k.id
                CROSS JOIN LATERAL (
                    SELECT c.id FROM manifest_references mr
                        JOIN manifests c ON c.repository_id = p.repository_id AND c.digest = mr.digest
                        WHERE mr.manifest_id = p.id AND mr.kind = {ManifestKind}
                    UNION ALL
                    SELECT f.id FROM manifests f
                        WHERE f.repository_id = p.repository_id AND f.subject_digest = p.digest
                ) next
        ),
        used(repository_id, digest) AS (
            SELECT m.repository_id, m.digest FROM kept k JOIN manifests m ON m.id = k.id
            UNION SELECT m.repository_id, mr.digest FROM kept k
                JOIN manifests m ON m.id = k.id
                JOIN manifest_references mr ON mr.manifest_id = k.id AND mr.kind <> {SubjectKind}
        )
        """;

    public static readonly string GarbageManifests = $"""
        {Kept}
        SELECT r.name, m.digest FROM manifests m JOIN repositories r ON r.id = m.repository_id
        WHERE NOT EXISTS (SELECT 1 FROM kept k WHERE k.id = m.id)
        ORDER BY r.name, m.digest
        """;

    public static readonly string RemovableLinks = $"""
        {Kept}
        SELECT r.name, rb.digest FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
        WHERE rb.created_at <= $2
          AND NOT EXISTS (SELECT 1 FROM used u WHERE u.repository_id = rb.repository_id AND u.digest = rb.digest)
        ORDER BY r.name, rb.digest
        """;

    /// <summary>Blobs nothing kept uses: digest, size, and true when an upload claim or a young link
    /// still holds them (they go later), false when they go now.</summary>
    public static readonly string UnusedBlobs = $"""
        {Kept}
        SELECT b.digest, b.size,
               EXISTS (SELECT 1 FROM uploads up WHERE up.digest = b.digest)
            OR EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.digest = b.digest AND rb.created_at > $2)
        FROM blobs b
        WHERE NOT EXISTS (SELECT 1 FROM used u WHERE u.digest = b.digest)
        ORDER BY b.digest
        """;

    /// <summary>Per repository: blobs it holds (linked, or its manifests' own bytes), their bytes, and
    /// the bytes of those no other repository holds. Sums of bigint are numeric in PostgreSQL: cast
    /// back, the reader wants a long.</summary>
    public const string RepositoryUsage = """
        WITH held(repository_id, digest) AS (
            SELECT repository_id, digest FROM repository_blobs
            UNION SELECT repository_id, digest FROM manifests
        ),
        holders(digest, n) AS (SELECT digest, count(*) FROM held GROUP BY digest)
        SELECT r.name, count(*), coalesce(sum(b.size), 0)::bigint,
               coalesce(sum(CASE WHEN h.n = 1 THEN b.size ELSE 0 END), 0)::bigint
        FROM held
        JOIN repositories r ON r.id = held.repository_id
        JOIN blobs b ON b.digest = held.digest
        JOIN holders h ON h.digest = held.digest
        GROUP BY r.name
        ORDER BY r.name
        """;
}
