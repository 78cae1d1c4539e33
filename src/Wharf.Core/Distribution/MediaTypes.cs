namespace Wharf.Distribution;

/// <summary>The manifest media types of the Docker and OCI specifications.</summary>
public static class MediaTypes
{
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
    public const string DockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";
    public const string OciImageConfig = "application/vnd.oci.image.config.v1+json";
    public const string DockerImageConfig = "application/vnd.docker.container.image.v1+json";

    /// <summary>A container image's configuration (platform, how it runs, its history), as opposed
    /// to an artifact's config.</summary>
    public static bool IsImageConfig(string? mediaType) => mediaType is OciImageConfig or DockerImageConfig;
    public const string OctetStream = "application/octet-stream";

    public static bool IsImageManifest(string mediaType) => mediaType is OciManifest or DockerManifest;

    public static bool IsIndex(string mediaType) => mediaType is OciIndex or DockerManifestList;

    public static bool IsManifest(string mediaType) => IsImageManifest(mediaType) || IsIndex(mediaType);

    public static bool IsSchema1(string mediaType) => mediaType is DockerSchema1 or DockerSchema1Signed;

    /// <summary>
    /// Content negotiation for manifests: whether a client whose <c>Accept</c> header lists
    /// <paramref name="accepted"/> can take a manifest of <paramref name="mediaType"/>. A client that
    /// names no manifest type at all (no header, <c>*/*</c>, <c>application/json</c>) takes anything;
    /// one that names manifest types gets only those.
    /// </summary>
    public static bool IsAcceptable(string mediaType, IEnumerable<string> accepted)
    {
        var namesManifestTypes = false;
        foreach (var type in accepted)
        {
            if (type == mediaType || type is "*/*" or "application/*")
            {
                return true;
            }
            namesManifestTypes |= IsManifest(type) || IsSchema1(type);
        }
        return !namesManifestTypes;
    }

    /// <summary>Layers that registries are not expected to hold (the image-spec's non-distributable
    /// layers and Docker's foreign layers): a manifest may reference them without the blob.</summary>
    public static bool IsNonDistributableLayer(string mediaType) =>
        mediaType.Contains(".nondistributable.", StringComparison.Ordinal)
        || mediaType.StartsWith("application/vnd.docker.image.rootfs.foreign.", StringComparison.Ordinal);
}
