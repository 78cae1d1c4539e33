using System.Text.Json;
using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Registry;

namespace Wharf.Ui;

/// <summary>
/// The artifacts that refer to a manifest (signatures, SBOMs, attestations: anything whose
/// <c>subject</c> names it), and those that refer to them, as the image page shows them. Read
/// from the metadata store's referrers index, as the referrers API answers, level by level.
/// </summary>
internal static class ReferrerTree
{
    public sealed record Node(ManifestRecord Manifest, IReadOnlyList<Node> Referrers);

    public static async Task<IReadOnlyList<Node>> ReadAsync(ManifestService manifests, RepositoryName repository, Digest subject, int maxDepth, int maxNodes, CancellationToken cancellationToken)
    {
        var budget = maxNodes;
        // A digest is shown once, however the artifacts refer to each other.
        var seen = new HashSet<Digest> { subject };

        async Task<IReadOnlyList<Node>> LevelAsync(Digest of, int depth)
        {
            if (depth > maxDepth || budget <= 0)
            {
                return [];
            }
            var nodes = new List<Node>();
            foreach (var referrer in await manifests.ListReferrersAsync(repository, of, null, cancellationToken))
            {
                if (budget <= 0 || !seen.Add(referrer.Digest))
                {
                    continue;
                }
                budget--;
                nodes.Add(new Node(referrer, await LevelAsync(referrer.Digest, depth + 1)));
            }
            return nodes;
        }

        return await LevelAsync(subject, 1);
    }

    // [{"digest","mediaType","artifactType","size","annotations":{..}|null,"referrers":[...]}]
    public static void Write(Utf8JsonWriter json, IReadOnlyList<Node> nodes)
    {
        json.WriteStartArray();
        foreach (var node in nodes)
        {
            var manifest = node.Manifest;
            json.WriteStartObject();
            json.WriteString("digest", manifest.Digest.ToString());
            json.WriteString("mediaType", manifest.MediaType);
            json.WriteString("artifactType", manifest.ArtifactType);
            json.WriteNumber("size", manifest.Size);
            json.WritePropertyName("annotations");
            WriteAnnotations(json, manifest.AnnotationsJson);
            json.WritePropertyName("referrers");
            Write(json, node.Referrers);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WriteAnnotations(Utf8JsonWriter json, string? annotationsJson)
    {
        if (annotationsJson is null)
        {
            json.WriteNullValue();
            return;
        }
        try
        {
            using var annotations = JsonDocument.Parse(annotationsJson);
            ImageConfigWriter.WriteStringMap(json, annotations.RootElement);
        }
        catch (JsonException)
        {
            json.WriteNullValue();
        }
    }
}
