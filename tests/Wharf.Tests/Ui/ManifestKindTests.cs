using Wharf.Distribution;
using Wharf.Ui;

namespace Wharf.Tests.Ui;

public sealed class ManifestKindTests
{
    [Theory]
    [InlineData(MediaTypes.OciManifest, "application/vnd.oci.image.config.v1+json", "image")]
    [InlineData(MediaTypes.DockerManifest, "application/vnd.docker.container.image.v1+json", "image")]
    [InlineData(MediaTypes.OciManifest, null, "image")]
    [InlineData(MediaTypes.OciIndex, null, "index")]
    [InlineData(MediaTypes.DockerManifestList, null, "index")]
    [InlineData(MediaTypes.OciManifest, "application/vnd.dev.cosign.artifact.sig.v1+json", "artifact")]
    [InlineData(MediaTypes.OciManifest, "application/vnd.cncf.helm.config.v1+json", "artifact")]
    [InlineData(MediaTypes.OciManifest, MediaTypes.OciEmpty, "artifact")]
    [InlineData(MediaTypes.OciIndex, "application/vnd.example.bundle", "artifact")]
    public void Of_MediaTypeAndArtifactType_IsTheKindTheUiShows(string mediaType, string? artifactType, string kind)
    {
        Assert.Equal(kind, ManifestKind.Of(mediaType, artifactType));
    }
}
