using Wharf.Manifests;

namespace Wharf.Metadata;

/// <summary>
/// The SQLite statements that see the whole store at once: what a full collection would remove, and
/// who holds which bytes. A manifest is kept when a tag points at it, when a kept index lists it, or
/// when its subject is kept; with untagged collection off (<c>$all</c> = 1) every manifest is kept.
/// What a kept manifest is or references is used in its repository; a link nothing uses is removable
/// once older than the review delay (<c>$cutoff</c>); a blob nothing uses anywhere goes once no
/// upload claims it and no link to it is younger than that.
/// </summary>
internal static class GcPlanSql
{
    private const int SubjectKind = (int)ReferenceKind.Subject;
    private const int ManifestKind = (int)ReferenceKind.Manifest;

    private static readonly string Kept = $"""
        WITH RECURSIVE kept(id) AS (
            SELECT id FROM manifests WHERE $all = 1
            UNION SELECT manifest_id FROM tags
            UNION SELECT c.id FROM kept k
                JOIN manifests p ON p.id = k.id
                JOIN manifest_references mr ON mr.manifest_id = p.id AND mr.kind = {ManifestKind}
                JOIN manifests c ON c.repository_id = p.repository_id AND c.digest = mr.digest
            UNION SELECT f.id FROM kept k
                JOIN manifests s ON s.id = k.id
                JOIN manifests f ON f.repository_id = s.repository_id AND f.subject_digest = s.digest
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
        WHERE m.id NOT IN (SELECT id FROM kept)
        ORDER BY r.name, m.digest
        """;

    public static readonly string RemovableLinks = $"""
        {Kept}
        SELECT r.name, rb.digest FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
        WHERE rb.created_at <= $cutoff
          AND NOT EXISTS (SELECT 1 FROM used u WHERE u.repository_id = rb.repository_id AND u.digest = rb.digest)
        ORDER BY r.name, rb.digest
        """;

    /// <summary>Blobs nothing kept uses: digest, size, and 1 when an upload claim or a young link
    /// still holds them (they go later), 0 when they go now.</summary>
    public static readonly string UnusedBlobs = $"""
        {Kept}
        SELECT b.digest, b.size,
               EXISTS (SELECT 1 FROM uploads up WHERE up.digest = b.digest)
            OR EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.digest = b.digest AND rb.created_at > $cutoff)
        FROM blobs b
        WHERE NOT EXISTS (SELECT 1 FROM used u WHERE u.digest = b.digest)
        ORDER BY b.digest
        """;

    /// <summary>Per repository: blobs it holds (linked, or its manifests' own bytes), their bytes, and
    /// the bytes of those no other repository holds.</summary>
    public const string RepositoryUsage = """
        WITH held(repository_id, digest) AS (
            SELECT repository_id, digest FROM repository_blobs
            UNION SELECT repository_id, digest FROM manifests
        ),
        holders(digest, n) AS (SELECT digest, COUNT(*) FROM held GROUP BY digest)
        SELECT r.name, COUNT(*), COALESCE(SUM(b.size), 0), COALESCE(SUM(CASE WHEN h.n = 1 THEN b.size ELSE 0 END), 0)
        FROM held
        JOIN repositories r ON r.id = held.repository_id
        JOIN blobs b ON b.digest = held.digest
        JOIN holders h ON h.digest = held.digest
        GROUP BY r.name
        ORDER BY r.name
        """;
}
