using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Wharf.Distribution;

namespace Wharf.Tests.Import;

/// <summary>An image written into a hand-made distribution tree.</summary>
public sealed record TreeImage(Digest Manifest, Digest Config, Digest Layer, byte[] ManifestBytes);

/// <summary>
/// Writes a CNCF distribution (registry:2) data directory by hand, file by file, as distribution
/// 2.8 lays it out: blobs/&lt;alg&gt;/&lt;2 hex&gt;/&lt;hex&gt;/data, and per repository _layers,
/// _manifests/revisions and _manifests/tags link files, each holding a digest. Damage (a missing
/// blob, corrupt bytes, a dangling tag) is made by writing, or not writing, single files.
/// </summary>
public sealed class DistributionTree(string root)
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    public string Root { get; } = root;

    private string V2 => Path.Combine(Root, "docker", "registry", "v2");

    public string BlobDataPath(Digest digest) => Path.Combine(V2, "blobs", digest.Algorithm, digest.Hex[..2], digest.Hex, "data");

    public string RepositoryPath(string repository) => Path.Combine(V2, "repositories", repository);

    /// <summary>Stores bytes as a blob; nothing links it yet.</summary>
    public Digest AddBlob(byte[] bytes)
    {
        var digest = Digest.FromHash(Digest.Sha256, SHA256.HashData(bytes));
        Write(BlobDataPath(digest), bytes);
        return digest;
    }

    public Digest AddBlob(string text) => AddBlob(Encoding.UTF8.GetBytes(text));

    public void LinkLayer(string repository, Digest digest) =>
        WriteLink(Path.Combine(RepositoryPath(repository), "_layers", digest.Algorithm, digest.Hex, "link"), digest);

    public void AddRevision(string repository, Digest digest) =>
        WriteLink(Path.Combine(RepositoryPath(repository), "_manifests", "revisions", digest.Algorithm, digest.Hex, "link"), digest);

    /// <summary>Points a tag at a digest, with the index entry distribution writes alongside.</summary>
    public void Tag(string repository, string tag, Digest digest)
    {
        var tagDirectory = Path.Combine(RepositoryPath(repository), "_manifests", "tags", tag);
        WriteLink(Path.Combine(tagDirectory, "current", "link"), digest);
        WriteLink(Path.Combine(tagDirectory, "index", digest.Algorithm, digest.Hex, "link"), digest);
    }

    /// <summary>A one-layer image: its blobs stored and linked, its manifest a revision, tagged
    /// when <paramref name="tag"/> is given.</summary>
    public TreeImage PushImage(string repository, string? tag, int seed, string? mediaType = OciManifest)
    {
        var layer = AddBlob($"layer bytes for seed {seed}: {new string('x', seed % 50)}");
        var config = AddBlob($$"""{"architecture":"amd64","os":"linux","seed":{{seed}}}""");
        var manifest = new JsonObject { ["schemaVersion"] = 2 };
        if (mediaType is not null)
        {
            manifest["mediaType"] = mediaType;
        }
        var configType = mediaType == DockerManifest ? "application/vnd.docker.container.image.v1+json" : "application/vnd.oci.image.config.v1+json";
        var layerType = mediaType == DockerManifest ? "application/vnd.docker.image.rootfs.diff.tar.gzip" : "application/vnd.oci.image.layer.v1.tar+gzip";
        manifest["config"] = Descriptor(configType, config, File.ReadAllBytes(BlobDataPath(config)).Length);
        manifest["layers"] = new JsonArray(Descriptor(layerType, layer, File.ReadAllBytes(BlobDataPath(layer)).Length));
        var bytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        var digest = AddBlob(bytes);
        LinkLayer(repository, layer);
        LinkLayer(repository, config);
        AddRevision(repository, digest);
        if (tag is not null)
        {
            Tag(repository, tag, digest);
        }
        return new TreeImage(digest, config, layer, bytes);
    }

    /// <summary>An index over manifests already in the repository, stored as a revision.</summary>
    public Digest PushIndex(string repository, string? tag, IEnumerable<TreeImage> children, string? mediaType = OciIndex) =>
        PushManifest(repository, tag, IndexBytes(children, mediaType));

    /// <summary>The bytes of an OCI index over <paramref name="children"/>; <paramref name="note"/>
    /// (an annotation) changes the digest and nothing else.</summary>
    public static byte[] IndexBytes(IEnumerable<TreeImage> children, string? mediaType = OciIndex, string? note = null)
    {
        var index = new JsonObject { ["schemaVersion"] = 2 };
        if (mediaType is not null)
        {
            index["mediaType"] = mediaType;
        }
        index["manifests"] = new JsonArray(children.Select(c => (JsonNode)Descriptor(OciManifest, c.Manifest, c.ManifestBytes.Length)).ToArray());
        if (note is not null)
        {
            index["annotations"] = new JsonObject { ["note"] = note };
        }
        return Encoding.UTF8.GetBytes(index.ToJsonString());
    }

    /// <summary>A revision whose stored bytes are <paramref name="bytes"/>, tagged when a tag is given.</summary>
    public Digest PushManifest(string repository, string? tag, byte[] bytes)
    {
        var digest = AddBlob(bytes);
        AddRevision(repository, digest);
        if (tag is not null)
        {
            Tag(repository, tag, digest);
        }
        return digest;
    }

    public Digest PushManifest(string repository, string? tag, string body) => PushManifest(repository, tag, Encoding.UTF8.GetBytes(body));

    private static JsonObject Descriptor(string mediaType, Digest digest, long size) =>
        new() { ["mediaType"] = mediaType, ["digest"] = digest.ToString(), ["size"] = size };

    private static void WriteLink(string path, Digest digest) => Write(path, Encoding.ASCII.GetBytes(digest.ToString()));

    private static void Write(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }
}
