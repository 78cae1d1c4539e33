using Wharf.Distribution;

namespace Wharf.Ui;

/// <summary>What a tag points at, as the web UI shows it: an image, an index of images, or some
/// other artifact (a signature, an SBOM, a Helm chart...).</summary>
internal static class ManifestKind
{
    public const string Image = "image";
    public const string Index = "index";
    public const string Artifact = "artifact";

    /// <param name="artifactType">As the store keeps it: the manifest's <c>artifactType</c>, or for
    /// an image manifest without one, its config's media type.</param>
    public static string Of(string mediaType, string? artifactType)
    {
        if (MediaTypes.IsIndex(mediaType))
        {
            return artifactType is null ? Index : Artifact;
        }
        return artifactType is null || MediaTypes.IsImageConfig(artifactType) ? Image : Artifact;
    }
}
