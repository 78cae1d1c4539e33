using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Wharf.Bench;

/// <summary>A one-layer OCI image, small and unique to its seed: config, layer and manifest bytes.</summary>
internal sealed record SmallImage(byte[] Config, string ConfigDigest, byte[] Layer, string LayerDigest, byte[] Manifest, string ManifestDigest)
{
    public const string ConfigType = "application/vnd.oci.image.config.v1+json";
    public const string LayerType = "application/vnd.oci.image.layer.v1.tar+gzip";

    public static SmallImage Create(string seed)
    {
        // A real tar+gzip layer holding one file, so that any client that looks inside is content.
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, $"bench/{seed}.txt")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes($"wharf benchmark image {seed}\n")),
                ModificationTime = DateTimeOffset.UnixEpoch,
            };
            writer.WriteEntry(entry);
        }
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(tar.ToArray());
        }
        var layer = gz.ToArray();
        var config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"amd64","os":"linux","config":{"Labels":{"bench.seed":"{{{seed}}}"}},"rootfs":{"type":"layers","diff_ids":["{{{DigestOf(tar.ToArray())}}}"]}}""");
        var manifest = ManifestBytes(config, [layer]);
        return new SmallImage(config, DigestOf(config), layer, DigestOf(layer), manifest, DigestOf(manifest));
    }

    /// <summary>Another image with this one's layer and a config of its own (its label says
    /// <paramref name="seed"/>): many distinct images that share one layer blob.</summary>
    public SmallImage WithSeed(string seed)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(Config)!;
        json["config"]!["Labels"]!["bench.seed"] = seed;
        var config = Encoding.UTF8.GetBytes(json.ToJsonString());
        var manifest = ManifestBytes(config, [Layer]);
        return this with { Config = config, ConfigDigest = DigestOf(config), Manifest = manifest, ManifestDigest = DigestOf(manifest) };
    }

    /// <summary>The same config with no layers: the one-blob manifest the catalog workload puts in every repository.</summary>
    public byte[] ConfigOnlyManifest() => ManifestBytes(Config, []);

    public static string DigestOf(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static byte[] ManifestBytes(byte[] config, byte[][] layers)
    {
        var layerJson = string.Join(",", layers.Select(l => $$"""{"mediaType":"{{LayerType}}","digest":"{{DigestOf(l)}}","size":{{l.Length}}}"""));
        return Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{Registry.OciManifest}}","config":{"mediaType":"{{ConfigType}}","digest":"{{DigestOf(config)}}","size":{{config.Length}}},"layers":[{{layerJson}}]}""");
    }

    /// <summary>
    /// Writes an OCI image layout (oci-layout, index.json, blobs/sha256/*) holding every image,
    /// each under its own ref name, for <c>skopeo copy oci:DIR:NAME</c>.
    /// </summary>
    public static void WriteLayout(string dir, IReadOnlyList<(string Name, SmallImage Image)> images)
    {
        var blobs = Path.Combine(dir, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        File.WriteAllText(Path.Combine(dir, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        void Put(string digest, byte[] bytes) => File.WriteAllBytes(Path.Combine(blobs, digest["sha256:".Length..]), bytes);
        var entries = new List<string>();
        foreach (var (name, image) in images)
        {
            Put(image.ConfigDigest, image.Config);
            Put(image.LayerDigest, image.Layer);
            Put(image.ManifestDigest, image.Manifest);
            entries.Add($$$"""{"mediaType":"{{{Registry.OciManifest}}}","digest":"{{{image.ManifestDigest}}}","size":{{{image.Manifest.Length}}},"annotations":{"org.opencontainers.image.ref.name":"{{{name}}}"}}""");
        }
        File.WriteAllText(Path.Combine(dir, "index.json"), $$"""{"schemaVersion":2,"manifests":[{{string.Join(",", entries)}}]}""");
    }
}
