using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Wharf.Bench;

/// <summary>An OCI image of a config and <c>layers</c> layers of bytes unique to its seed, and its
/// push through the API (monolithic blob uploads, then the manifest): what the GC and overhead
/// benchmarks push in their loops.</summary>
internal sealed record LayeredImage(string Digest, byte[] Manifest, IReadOnlyList<(string Digest, byte[] Bytes)> Blobs)
{
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";

    /// <param name="random">Layers of random bytes (nothing to compress or deduplicate); otherwise
    /// bytes from a generator seeded by <paramref name="seed"/>, the same each time.</param>
    public static LayeredImage Create(string seed, int layers, int layerBytes, bool random = false)
    {
        var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":\"{seed}\"}}");
        var blobs = new List<(string, byte[])> { (DigestOf(config), config) };
        for (var i = 0; i < layers; i++)
        {
            var layer = new byte[layerBytes];
            (random ? Random.Shared : new Random(HashCode.Combine(seed, i))).NextBytes(layer);
            Encoding.UTF8.GetBytes(seed + "/" + i).CopyTo(layer, 0);
            blobs.Add((DigestOf(layer), layer));
        }
        var layerJson = string.Join(',', blobs.Skip(1).Select(b => $"{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"{b.Item1}\",\"size\":{b.Item2.Length}}}"));
        var manifest = Encoding.UTF8.GetBytes(
            $"{{\"schemaVersion\":2,\"mediaType\":\"{ManifestType}\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{blobs[0].Item1}\",\"size\":{config.Length}}},\"layers\":[{layerJson}]}}");
        return new LayeredImage(DigestOf(manifest), manifest, blobs);
    }

    public async Task PushAsync(HttpClient http, Uri baseUri, string repository, string tag)
    {
        foreach (var (digest, bytes) in Blobs)
        {
            using var upload = await http.PostAsync(new Uri(baseUri, $"/v2/{repository}/blobs/uploads/?digest={digest}"), new ByteArrayContent(bytes));
            if (upload.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"blob upload answered {(int)upload.StatusCode}");
            }
        }
        var content = new ByteArrayContent(Manifest);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(ManifestType);
        using var put = await http.PutAsync(new Uri(baseUri, $"/v2/{repository}/manifests/{tag}"), content);
        if (put.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"manifest push answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        }
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string DigestOf(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
}
