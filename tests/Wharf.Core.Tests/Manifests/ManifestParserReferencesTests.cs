using Wharf.Distribution;
using Wharf.Manifests;
using static Wharf.Core.Tests.Manifests.ManifestSamples;

namespace Wharf.Core.Tests.Manifests;

public sealed class ManifestParserReferencesTests
{
    [Fact]
    public void References_ImageManifest_ListsConfigThenLayers()
    {
        var manifest = ManifestParser.Parse(Bytes(OciManifest), MediaTypes.OciManifest);

        Assert.Equal(
            [(ConfigDigest, ReferenceKind.Config), (LayerDigest, ReferenceKind.Layer), (SecondLayerDigest, ReferenceKind.Layer)],
            manifest.References());
    }

    [Fact]
    public void References_Index_ListsChildManifests()
    {
        var manifest = ManifestParser.Parse(Bytes(OciIndex), MediaTypes.OciIndex);

        Assert.Equal(
            [(ChildDigest, ReferenceKind.Manifest), (SecondChildDigest, ReferenceKind.Manifest)],
            manifest.References());
    }

    [Fact]
    public void References_DockerManifestList_ListsChildManifests()
    {
        var manifest = ManifestParser.Parse(Bytes(DockerManifestList), MediaTypes.DockerManifestList);

        Assert.Equal(
            [(ChildDigest, ReferenceKind.Manifest), (SecondChildDigest, ReferenceKind.Manifest)],
            manifest.References());
    }

    [Fact]
    public void References_ManifestWithSubject_IncludesSubjectKind()
    {
        var manifest = ManifestParser.Parse(Bytes(OciArtifactManifest), MediaTypes.OciManifest);

        Assert.Equal(
            [(Digest.Parse(EmptyConfigDigest), ReferenceKind.Config), (LayerDigest, ReferenceKind.Layer), (SubjectDigest, ReferenceKind.Subject)],
            manifest.References());
    }

    [Fact]
    public void References_IndexWithSubject_IncludesSubjectKind()
    {
        var manifest = ManifestParser.Parse(Bytes(OciIndexWithSubject), MediaTypes.OciIndex);

        Assert.Equal(
            [(ChildDigest, ReferenceKind.Manifest), (SubjectDigest, ReferenceKind.Subject)],
            manifest.References());
    }

    [Fact]
    public void RequiredBlobs_ImageManifest_AreConfigAndLayers()
    {
        var manifest = ManifestParser.Parse(Bytes(OciManifest), MediaTypes.OciManifest);

        Assert.Equal([ConfigDigest, LayerDigest, SecondLayerDigest], manifest.RequiredBlobs.Select(d => d.Digest));
    }

    [Fact]
    public void RequiredBlobs_ArtifactManifest_IncludeEmptyConfigButNotSubject()
    {
        var manifest = ManifestParser.Parse(Bytes(OciArtifactManifest), MediaTypes.OciManifest);

        Assert.Equal([Digest.Parse(EmptyConfigDigest), LayerDigest], manifest.RequiredBlobs.Select(d => d.Digest));
    }

    [Fact]
    public void RequiredBlobs_Index_AreEmpty()
    {
        var manifest = ManifestParser.Parse(Bytes(OciIndex), MediaTypes.OciIndex);

        Assert.Empty(manifest.RequiredBlobs);
    }

    [Fact]
    public void RequiredBlobs_DockerForeignLayer_IsExcluded()
    {
        var json = DockerManifestWithLayers($$"""
            [
              { "mediaType": "{{DockerForeignLayerType}}", "digest": "{{LayerDigest}}", "size": 100 },
              { "mediaType": "{{DockerLayerType}}", "digest": "{{SecondLayerDigest}}", "size": 200 }
            ]
            """);

        var manifest = ManifestParser.Parse(Bytes(json), MediaTypes.DockerManifest);

        Assert.Equal([ConfigDigest, SecondLayerDigest], manifest.RequiredBlobs.Select(d => d.Digest));
    }

    [Fact]
    public void RequiredBlobs_OciNonDistributableLayer_IsExcluded()
    {
        var json = OciManifestWithLayers($$"""
            [
              { "mediaType": "{{OciNonDistributableLayerType}}", "digest": "{{LayerDigest}}", "size": 100 },
              { "mediaType": "{{OciLayerType}}", "digest": "{{SecondLayerDigest}}", "size": 200 }
            ]
            """);

        var manifest = ManifestParser.Parse(Bytes(json), MediaTypes.OciManifest);

        Assert.Equal([ConfigDigest, SecondLayerDigest], manifest.RequiredBlobs.Select(d => d.Digest));
    }

    [Fact]
    public void RequiredBlobs_LayerWithUrls_IsExcluded()
    {
        var json = OciManifestWithLayers($$"""
            [
              { "mediaType": "{{OciLayerType}}", "digest": "{{LayerDigest}}", "size": 100,
                "urls": [ "https://example.com/layer.tar.gz" ] },
              { "mediaType": "{{OciLayerType}}", "digest": "{{SecondLayerDigest}}", "size": 200 }
            ]
            """);

        var manifest = ManifestParser.Parse(Bytes(json), MediaTypes.OciManifest);

        Assert.Equal([ConfigDigest, SecondLayerDigest], manifest.RequiredBlobs.Select(d => d.Digest));
    }

    [Fact]
    public void RequiredBlobs_LayerWithEmptyUrls_IsIncluded()
    {
        var json = OciManifestWithLayers($$"""
            [ { "mediaType": "{{OciLayerType}}", "digest": "{{LayerDigest}}", "size": 100, "urls": [] } ]
            """);

        var manifest = ManifestParser.Parse(Bytes(json), MediaTypes.OciManifest);

        Assert.Equal([ConfigDigest, LayerDigest], manifest.RequiredBlobs.Select(d => d.Digest));
    }

    [Fact]
    public void References_NonDistributableLayer_IsStillReferencedAsLayer()
    {
        var json = DockerManifestWithLayers($$"""
            [ { "mediaType": "{{DockerForeignLayerType}}", "digest": "{{LayerDigest}}", "size": 100,
                "urls": [ "https://example.com/layer.tar.gz" ] } ]
            """);

        var manifest = ManifestParser.Parse(Bytes(json), MediaTypes.DockerManifest);

        Assert.Contains((LayerDigest, ReferenceKind.Layer), manifest.References());
    }

    [Fact]
    public void Parse_LayerWithUrls_MarksDescriptorNonDistributable()
    {
        var json = OciManifestWithLayers($$"""
            [ { "mediaType": "{{OciLayerType}}", "digest": "{{LayerDigest}}", "size": 100, "urls": [ "https://example.com/l" ] } ]
            """);

        var manifest = ManifestParser.Parse(Bytes(json), MediaTypes.OciManifest);

        Assert.True(manifest.Layers[0].HasUrls);
        Assert.True(manifest.Layers[0].IsNonDistributable);
    }
}
