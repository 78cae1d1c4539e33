using Wharf.Distribution;
using Wharf.Manifests;
using static Wharf.Core.Tests.Manifests.ManifestSamples;

namespace Wharf.Core.Tests.Manifests;

public sealed class ManifestParserArtifactTests
{
    [Fact]
    public void EmptyConfigDigest_IsSha256OfEmptyObject()
    {
        Assert.Equal(EmptyConfigDigest, TestSupport.TestDigests.Sha256Of("{}").ToString());
    }

    [Fact]
    public void Parse_ArtifactManifest_ArtifactTypeIsManifestArtifactType()
    {
        var manifest = ManifestParser.Parse(Bytes(OciArtifactManifest), MediaTypes.OciManifest);

        Assert.Equal(SbomArtifactType, manifest.ArtifactType);
    }

    [Fact]
    public void Parse_ArtifactManifest_ReadsEmptyConfigDescriptor()
    {
        var manifest = ManifestParser.Parse(Bytes(OciArtifactManifest), MediaTypes.OciManifest);

        Assert.NotNull(manifest.Config);
        Assert.Equal(MediaTypes.OciEmpty, manifest.Config.MediaType);
        Assert.Equal(Digest.Parse(EmptyConfigDigest), manifest.Config.Digest);
        Assert.Equal(2, manifest.Config.Size);
    }

    [Fact]
    public void Parse_ImageManifestWithoutArtifactType_ArtifactTypeIsConfigMediaType()
    {
        var manifest = ManifestParser.Parse(Bytes(OciManifest), MediaTypes.OciManifest);

        Assert.Equal(OciConfigType, manifest.ArtifactType);
    }

    [Fact]
    public void Parse_DockerManifest_ArtifactTypeIsConfigMediaType()
    {
        var manifest = ManifestParser.Parse(Bytes(DockerManifest), MediaTypes.DockerManifest);

        Assert.Equal(DockerConfigType, manifest.ArtifactType);
    }

    [Fact]
    public void Parse_ArtifactTypeWithEmptyConfigOmitted_ArtifactTypeStillManifestArtifactType()
    {
        var json = OciManifestWithConfig($$"""{ "mediaType": "{{OciConfigType}}", "digest": "{{ConfigDigest}}", "size": 1 }""")
            .Replace("\"schemaVersion\": 2,", $"\"schemaVersion\": 2, \"artifactType\": \"{SbomArtifactType}\",", StringComparison.Ordinal);

        var manifest = ManifestParser.Parse(Bytes(json), MediaTypes.OciManifest);

        Assert.Equal(SbomArtifactType, manifest.ArtifactType);
    }

    [Fact]
    public void Parse_ManifestWithSubject_ReadsSubjectDescriptor()
    {
        var manifest = ManifestParser.Parse(Bytes(OciArtifactManifest), MediaTypes.OciManifest);

        Assert.NotNull(manifest.Subject);
        Assert.Equal(SubjectDigest, manifest.Subject.Digest);
        Assert.Equal(MediaTypes.OciManifest, manifest.Subject.MediaType);
        Assert.Equal(7682, manifest.Subject.Size);
    }

    [Fact]
    public void Parse_ManifestWithoutSubject_HasNullSubject()
    {
        var manifest = ManifestParser.Parse(Bytes(OciManifest), MediaTypes.OciManifest);

        Assert.Null(manifest.Subject);
    }

    [Fact]
    public void Parse_IndexWithSubjectAndArtifactType_ReadsBoth()
    {
        var manifest = ManifestParser.Parse(Bytes(OciIndexWithSubject), MediaTypes.OciIndex);

        Assert.Equal(SbomArtifactType, manifest.ArtifactType);
        Assert.NotNull(manifest.Subject);
        Assert.Equal(SubjectDigest, manifest.Subject.Digest);
    }

    [Fact]
    public void Parse_ManifestWithAnnotations_KeepsAnnotationsJsonVerbatim()
    {
        var manifest = ManifestParser.Parse(Bytes(OciManifest), MediaTypes.OciManifest);

        Assert.Equal("""{"com.example.key":"value","org.opencontainers.image.created":"2024-01-01T00:00:00Z"}""", manifest.AnnotationsJson);
    }

    [Fact]
    public void Parse_IndexWithAnnotations_KeepsAnnotationsJson()
    {
        var manifest = ManifestParser.Parse(Bytes(OciIndex), MediaTypes.OciIndex);

        Assert.Equal("""{"com.example.index":"yes"}""", manifest.AnnotationsJson);
    }

    [Fact]
    public void Parse_ManifestWithoutAnnotations_HasNullAnnotationsJson()
    {
        var manifest = ManifestParser.Parse(Bytes(DockerManifest), MediaTypes.DockerManifest);

        Assert.Null(manifest.AnnotationsJson);
    }
}
