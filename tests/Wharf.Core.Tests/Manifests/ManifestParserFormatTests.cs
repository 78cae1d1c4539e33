using Wharf.Distribution;
using Wharf.Manifests;
using static Wharf.Core.Tests.Manifests.ManifestSamples;

namespace Wharf.Core.Tests.Manifests;

public sealed class ManifestParserFormatTests
{
    [Fact]
    public void Parse_DockerManifest_ReadsMediaType()
    {
        var manifest = ManifestParser.Parse(Bytes(DockerManifest), MediaTypes.DockerManifest);

        Assert.Equal(MediaTypes.DockerManifest, manifest.MediaType);
        Assert.False(manifest.IsIndex);
    }

    [Fact]
    public void Parse_DockerManifest_ReadsConfigDescriptor()
    {
        var manifest = ManifestParser.Parse(Bytes(DockerManifest), MediaTypes.DockerManifest);

        Assert.NotNull(manifest.Config);
        Assert.Equal(DockerConfigType, manifest.Config.MediaType);
        Assert.Equal(ConfigDigest, manifest.Config.Digest);
        Assert.Equal(1469, manifest.Config.Size);
    }

    [Fact]
    public void Parse_DockerManifest_ReadsLayersInOrder()
    {
        var manifest = ManifestParser.Parse(Bytes(DockerManifest), MediaTypes.DockerManifest);

        Assert.Equal([LayerDigest, SecondLayerDigest], manifest.Layers.Select(l => l.Digest));
        Assert.Equal([2811L, 512L], manifest.Layers.Select(l => l.Size));
        Assert.All(manifest.Layers, l => Assert.Equal(DockerLayerType, l.MediaType));
        Assert.Empty(manifest.Manifests);
    }

    [Fact]
    public void Parse_DockerManifestList_ReadsChildManifests()
    {
        var manifest = ManifestParser.Parse(Bytes(DockerManifestList), MediaTypes.DockerManifestList);

        Assert.Equal(MediaTypes.DockerManifestList, manifest.MediaType);
        Assert.True(manifest.IsIndex);
        Assert.Equal([ChildDigest, SecondChildDigest], manifest.Manifests.Select(m => m.Digest));
        Assert.All(manifest.Manifests, m => Assert.Equal(MediaTypes.DockerManifest, m.MediaType));
    }

    [Fact]
    public void Parse_DockerManifestList_HasNoConfigOrLayers()
    {
        var manifest = ManifestParser.Parse(Bytes(DockerManifestList), MediaTypes.DockerManifestList);

        Assert.Null(manifest.Config);
        Assert.Empty(manifest.Layers);
    }

    [Fact]
    public void Parse_OciManifest_ReadsConfigAndLayers()
    {
        var manifest = ManifestParser.Parse(Bytes(OciManifest), MediaTypes.OciManifest);

        Assert.Equal(MediaTypes.OciManifest, manifest.MediaType);
        Assert.False(manifest.IsIndex);
        Assert.NotNull(manifest.Config);
        Assert.Equal(ConfigDigest, manifest.Config.Digest);
        Assert.Equal(OciConfigType, manifest.Config.MediaType);
        Assert.Equal([LayerDigest, SecondLayerDigest], manifest.Layers.Select(l => l.Digest));
    }

    [Fact]
    public void Parse_OciManifestWithoutMediaTypeField_UsesContentType()
    {
        var manifest = ManifestParser.Parse(Bytes(OciManifestWithoutMediaType), MediaTypes.OciManifest);

        Assert.Equal(MediaTypes.OciManifest, manifest.MediaType);
    }

    [Fact]
    public void Parse_OciIndex_ReadsChildManifests()
    {
        var manifest = ManifestParser.Parse(Bytes(OciIndex), MediaTypes.OciIndex);

        Assert.Equal(MediaTypes.OciIndex, manifest.MediaType);
        Assert.True(manifest.IsIndex);
        Assert.Equal([ChildDigest, SecondChildDigest], manifest.Manifests.Select(m => m.Digest));
        Assert.Equal([7143L, 7682L], manifest.Manifests.Select(m => m.Size));
        Assert.Null(manifest.Config);
        Assert.Empty(manifest.Layers);
    }

    [Fact]
    public void Parse_OciIndexChildWithArtifactType_KeepsDescriptorArtifactType()
    {
        var manifest = ManifestParser.Parse(Bytes(OciIndex), MediaTypes.OciIndex);

        Assert.Null(manifest.Manifests[0].ArtifactType);
        Assert.Equal(SbomArtifactType, manifest.Manifests[1].ArtifactType);
    }

    [Fact]
    public void Parse_OciIndexWithoutArtifactType_HasNullArtifactType()
    {
        var manifest = ManifestParser.Parse(Bytes(OciIndex), MediaTypes.OciIndex);

        Assert.Null(manifest.ArtifactType);
    }

    [Fact]
    public void Parse_EmptyLayersArray_ReadsNoLayers()
    {
        var manifest = ManifestParser.Parse(Bytes(OciManifestWithLayers("[]")), MediaTypes.OciManifest);

        Assert.Empty(manifest.Layers);
    }

    [Fact]
    public void Parse_NestingWithinDepthLimit_IsAccepted()
    {
        // The root object is depth 1; 40 nested arrays stay well inside the limit of 64.
        var nested = new string('[', 40) + new string(']', 40);
        var json = OciManifest.TrimEnd().TrimEnd('}') + $", \"x-extension\": {nested} }}";

        var manifest = ManifestParser.Parse(Bytes(json), MediaTypes.OciManifest);

        Assert.Equal(MediaTypes.OciManifest, manifest.MediaType);
    }

    [Fact]
    public void Parse_UnknownTopLevelFields_AreIgnored()
    {
        var json = OciManifest.TrimEnd().TrimEnd('}') + ", \"x-extension\": {\"anything\": [1, 2, 3]} }";

        var manifest = ManifestParser.Parse(Bytes(json), MediaTypes.OciManifest);

        Assert.Equal(2, manifest.Layers.Count);
    }
}
