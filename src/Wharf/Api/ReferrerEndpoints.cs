using System.Buffers;
using System.Text.Json;
using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Registry;

namespace Wharf.Api;

/// <summary><c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;[?artifactType=]</c> (OCI distribution 1.1,
/// "Listing Referrers"): an image index of the manifests whose subject is the digest.</summary>
internal static class ReferrerEndpoints
{
    public static async Task ListAsync(HttpContext context, string name, string digestText)
    {
        var repository = RepositoryName.Parse(name);
        var subject = Digest.Parse(digestText);
        var artifactType = context.Request.Query["artifactType"].ToString();
        var filter = artifactType.Length > 0 ? artifactType : null;
        var referrers = await context.RequestServices.GetRequiredService<ManifestService>()
            .ListReferrersAsync(repository, subject, filter, context.RequestAborted);

        if (filter is not null)
        {
            // Tells the client the list is already filtered, so it need not filter again.
            context.Response.Headers["OCI-Filters-Applied"] = "artifactType";
        }
        var body = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(body, ApiJsonWriter.Options))
        {
            WriteIndex(json, referrers);
        }
        await ApiJsonWriter.WriteAsync(context, body.WrittenMemory, MediaTypes.OciIndex);
    }

    private static void WriteIndex(Utf8JsonWriter json, IReadOnlyList<ManifestRecord> referrers)
    {
        json.WriteStartObject();
        json.WriteNumber("schemaVersion", 2);
        json.WriteString("mediaType", MediaTypes.OciIndex);
        json.WriteStartArray("manifests");
        foreach (var referrer in referrers)
        {
            json.WriteStartObject();
            json.WriteString("mediaType", referrer.MediaType);
            json.WriteString("digest", referrer.Digest.ToString());
            json.WriteNumber("size", referrer.Size);
            if (referrer.ArtifactType is not null)
            {
                json.WriteString("artifactType", referrer.ArtifactType);
            }
            if (referrer.AnnotationsJson is not null)
            {
                // Stored as the manifest's own JSON object, so it is passed through unchanged.
                json.WritePropertyName("annotations");
                json.WriteRawValue(referrer.AnnotationsJson, skipInputValidation: true);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
