using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Wharf.Tests.EndToEnd;

/// <summary>A content descriptor: what a manifest or index.json says about a blob.</summary>
public sealed record OciDescriptor(string MediaType, string Digest, long Size);

/// <summary>A single-platform image written to a layout.</summary>
public sealed record OciImage(OciDescriptor Manifest, OciDescriptor Config, IReadOnlyList<OciDescriptor> Layers);

/// <summary>A multi-platform image index written to a layout, with its child images.</summary>
public sealed record OciImageIndex(OciDescriptor Index, IReadOnlyList<OciImage> Images);

/// <summary>
/// Writes OCI image layouts (oci-layout, index.json, blobs/sha256/...) directly, so tests need no network
/// and no image-building tool. Each tag is an index.json entry carrying org.opencontainers.image.ref.name,
/// which is what skopeo's "oci:DIR:TAG" resolves.
/// </summary>
public sealed class OciLayout
{
    public const string IndexMediaType = "application/vnd.oci.image.index.v1+json";
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    public const string ConfigMediaType = "application/vnd.oci.image.config.v1+json";
    public const string LayerMediaType = "application/vnd.oci.image.layer.v1.tar+gzip";
    private const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    // Fixed timestamps keep layer bytes the same on every run.
    private static readonly DateTimeOffset FixedTime = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly JsonArray _tags = [];

    private OciLayout(string root) => Root = root;

    public string Root { get; }

    /// <summary>Creates an empty layout in <paramref name="root"/>.</summary>
    public static OciLayout Create(string root)
    {
        var layout = new OciLayout(root);
        Directory.CreateDirectory(Path.Combine(root, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(root, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        layout.WriteIndexJson();
        return layout;
    }

    /// <summary>A linux image with <paramref name="layerCount"/> small layers of a few distinct files each.</summary>
    public OciImage AddImage(string tag, int layerCount, int seed, string architecture = "amd64")
    {
        var image = WriteImage(architecture, Enumerable.Range(0, layerCount).Select(i => WriteSmallLayer(seed, i)).ToList());
        AddTag(tag, image.Manifest);
        return image;
    }

    /// <summary>An image of two layers: a base layer that every image built with the same
    /// <paramref name="baseSeed"/> shares, and one of its own.</summary>
    public OciImage AddImageOnBase(string tag, int baseSeed, int seed)
    {
        var image = WriteImage("amd64", [WriteSmallLayer(baseSeed, 0), WriteSmallLayer(seed, 1)]);
        AddTag(tag, image.Manifest);
        return image;
    }

    /// <summary>An artifact manifest (empty config, one JSON payload) whose subject is
    /// <paramref name="subject"/>: what signing and SBOM tools push next to an image.</summary>
    public OciDescriptor AddReferrer(string tag, OciDescriptor subject, string artifactType, string annotationValue)
    {
        var config = WriteJsonBlob("application/vnd.oci.empty.v1+json", []);
        var payload = WriteJsonBlob(artifactType + "+json", new JsonObject { ["signed"] = subject.Digest });
        var manifest = WriteJsonBlob(ManifestMediaType, new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestMediaType,
            ["artifactType"] = artifactType,
            ["config"] = ToJson(config),
            ["layers"] = new JsonArray(ToJson(payload)),
            ["subject"] = ToJson(subject),
            ["annotations"] = new JsonObject { ["org.example.signer"] = annotationValue },
        });
        AddTag(tag, manifest);
        return manifest;
    }

    /// <summary>An image index for linux/amd64 and linux/arm64, each with its own manifest, config and layer.</summary>
    public OciImageIndex AddTwoPlatformIndex(string tag, int seed)
    {
        var images = new[] { "amd64", "arm64" }
            .Select((arch, i) => WriteImage(arch, [WriteSmallLayer(seed * 100 + i, 0)]))
            .ToList();
        var manifests = new JsonArray();
        foreach (var (image, arch) in images.Zip(["amd64", "arm64"]))
        {
            var entry = ToJson(image.Manifest);
            entry["platform"] = new JsonObject { ["architecture"] = arch, ["os"] = "linux" };
            manifests.Add(entry);
        }

        var index = WriteJsonBlob(IndexMediaType, new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = IndexMediaType,
            ["manifests"] = manifests,
        });
        AddTag(tag, index);
        return new OciImageIndex(index, images);
    }

    /// <summary>
    /// An image whose one layer holds a single pseudo-random file of <paramref name="payloadBytes"/> bytes,
    /// streamed to disk and gzipped without compression: the blob is a little larger than the payload,
    /// generation takes seconds, and nothing of that size is ever held in memory.
    /// </summary>
    public OciImage AddBigLayerImage(string tag, long payloadBytes, int seed)
    {
        var layer = WriteLayer(CompressionLevel.NoCompression, tar =>
        {
            using var payload = new DeterministicStream(seed, payloadBytes);
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "big/payload.bin")
            {
                DataStream = payload,
                ModificationTime = FixedTime,
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            });
        });
        var image = WriteImage("amd64", [layer]);
        AddTag(tag, image.Manifest);
        return image;
    }

    /// <summary>The sha256 digest of every regular file in a tar archive whose name (without a leading
    /// "./") <paramref name="wanted"/> accepts, streamed; keyed by that name.</summary>
    public static async Task<Dictionary<string, string>> DigestEntriesAsync(string archive, Func<string, bool> wanted)
    {
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var file = File.OpenRead(archive);
        await using var tar = new TarReader(file);
        while (await tar.GetNextEntryAsync() is { } entry)
        {
            var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
            if (entry.DataStream is { } data && wanted(name))
            {
                digests[name] = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(data));
            }
        }
        return digests;
    }

    /// <summary>The diff_ids (digests of the uncompressed layer tars) that an image's config lists, in layer order.</summary>
    public IReadOnlyList<string> ReadDiffIds(OciImage image)
    {
        using var config = JsonDocument.Parse(File.ReadAllBytes(BlobPath(Root, image.Config.Digest)));
        return config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()!).ToList();
    }

    /// <summary>The descriptor that index.json of the layout at <paramref name="root"/> gives for <paramref name="tag"/>.</summary>
    public static OciDescriptor ReadTag(string root, string tag)
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(root, "index.json")));
        foreach (var entry in index.RootElement.GetProperty("manifests").EnumerateArray())
        {
            if (entry.TryGetProperty("annotations", out var annotations) &&
                annotations.TryGetProperty(RefNameAnnotation, out var name) &&
                name.GetString() == tag)
            {
                return ReadDescriptor(entry);
            }
        }

        throw new InvalidOperationException($"Tag {tag} is not in {root}/index.json.");
    }

    /// <summary>The child manifests listed by an image index blob in the layout.</summary>
    public static IReadOnlyList<OciDescriptor> ReadIndexManifests(string root, string indexDigest)
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(BlobPath(root, indexDigest)));
        return index.RootElement.GetProperty("manifests").EnumerateArray().Select(ReadDescriptor).ToList();
    }

    public static string BlobPath(string root, string digest) =>
        Path.Combine(root, "blobs", "sha256", digest["sha256:".Length..]);

    /// <summary>The sha256 digest of a file, read in a streaming pass.</summary>
    public static string ComputeFileDigest(string path)
    {
        using var file = File.OpenRead(path);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(file));
    }

    public static string ComputeDigest(ReadOnlySpan<byte> content) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    private static OciDescriptor ReadDescriptor(JsonElement entry) => new(
        entry.GetProperty("mediaType").GetString()!,
        entry.GetProperty("digest").GetString()!,
        entry.GetProperty("size").GetInt64());

    private static JsonObject ToJson(OciDescriptor d) =>
        new() { ["mediaType"] = d.MediaType, ["digest"] = d.Digest, ["size"] = d.Size };

    private (OciDescriptor Blob, string DiffId) WriteSmallLayer(int seed, int layerIndex) =>
        WriteLayer(CompressionLevel.Optimal, tar =>
        {
            var dir = $"layer-{seed}-{layerIndex}";
            tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, dir + "/") { ModificationTime = FixedTime });
            for (var file = 0; file < 3; file++)
            {
                var text = new StringBuilder();
                for (var line = 0; line < 50; line++)
                {
                    text.Append($"seed {seed} layer {layerIndex} file {file} line {line}\n");
                }

                using var data = new MemoryStream(Encoding.UTF8.GetBytes(text.ToString()));
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, $"{dir}/file-{file}.txt")
                {
                    DataStream = data,
                    ModificationTime = FixedTime,
                });
            }

            // A binary file too, so layers are not only highly compressible text.
            using var binary = new DeterministicStream(seed * 1000 + layerIndex, 8 * 1024);
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, $"{dir}/data.bin")
            {
                DataStream = binary,
                ModificationTime = FixedTime,
            });
        });

    /// <summary>
    /// Writes a tar+gzip layer in one streaming pass: tar → hash (diff_id) → gzip → hash (digest) → file.
    /// </summary>
    private (OciDescriptor Blob, string DiffId) WriteLayer(CompressionLevel level, Action<TarWriter> fill)
    {
        var temp = Path.Combine(Root, "blobs", "sha256", "tmp-" + Guid.NewGuid().ToString("N"));
        string digest, diffId;
        long size;
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        using (var compressed = new HashingStream(file))
        {
            using (var gzip = new GZipStream(compressed, level, leaveOpen: true))
            using (var uncompressed = new HashingStream(gzip))
            using (var tar = new TarWriter(uncompressed, TarEntryFormat.Ustar, leaveOpen: true))
            {
                fill(tar);
                tar.Dispose(); // writes the end-of-archive blocks before the diff_id is read
                diffId = uncompressed.Digest;
            }

            digest = compressed.Digest;
            size = compressed.BytesHashed;
        }

        File.Move(temp, BlobPath(Root, digest), overwrite: true);
        return (new OciDescriptor(LayerMediaType, digest, size), diffId);
    }

    private OciImage WriteImage(string architecture, IReadOnlyList<(OciDescriptor Blob, string DiffId)> layers)
    {
        var config = WriteJsonBlob(ConfigMediaType, new JsonObject
        {
            ["created"] = "2024-01-01T00:00:00Z",
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["config"] = new JsonObject
            {
                ["Env"] = new JsonArray("PATH=/usr/bin:/bin"),
                ["Cmd"] = new JsonArray("/bin/sh"),
                ["Labels"] = new JsonObject { ["org.opencontainers.image.title"] = "wharf test image" },
            },
            ["rootfs"] = new JsonObject
            {
                ["type"] = "layers",
                ["diff_ids"] = new JsonArray(layers.Select(l => (JsonNode)JsonValue.Create(l.DiffId)).ToArray()),
            },
            // As a build writes it: a step per layer, and the CMD that made no layer.
            ["history"] = new JsonArray([
                .. layers.Select((l, i) => (JsonNode)new JsonObject
                {
                    ["created"] = "2024-01-01T00:00:00Z",
                    ["created_by"] = $"/bin/sh -c #(nop) COPY dir:layer{i} in /data/{i} ",
                }),
                new JsonObject
                {
                    ["created"] = "2024-01-01T00:00:00Z",
                    ["created_by"] = "/bin/sh -c #(nop)  CMD [\"/bin/sh\"]",
                    ["empty_layer"] = true,
                },
            ]),
        });
        var manifest = WriteJsonBlob(ManifestMediaType, new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestMediaType,
            ["config"] = ToJson(config),
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)ToJson(l.Blob)).ToArray()),
        });
        return new OciImage(manifest, config, layers.Select(l => l.Blob).ToList());
    }

    private OciDescriptor WriteJsonBlob(string mediaType, JsonObject json)
    {
        var bytes = Encoding.UTF8.GetBytes(json.ToJsonString());
        var digest = ComputeDigest(bytes);
        File.WriteAllBytes(BlobPath(Root, digest), bytes);
        return new OciDescriptor(mediaType, digest, bytes.Length);
    }

    private void AddTag(string tag, OciDescriptor target)
    {
        var entry = ToJson(target);
        entry["annotations"] = new JsonObject { [RefNameAnnotation] = tag };
        _tags.Add(entry);
        WriteIndexJson();
    }

    private void WriteIndexJson()
    {
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = IndexMediaType,
            ["manifests"] = _tags.DeepClone(),
        };
        File.WriteAllText(Path.Combine(Root, "index.json"), index.ToJsonString());
    }
}
