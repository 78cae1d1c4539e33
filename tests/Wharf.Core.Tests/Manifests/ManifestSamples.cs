using System.Text;
using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;

namespace Wharf.Core.Tests.Manifests;

/// <summary>Well-formed manifests of every supported format, and the digests they reference.</summary>
public static class ManifestSamples
{
    public const string DockerConfigType = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerType = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerForeignLayerType = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    public const string OciConfigType = "application/vnd.oci.image.config.v1+json";
    public const string OciLayerType = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciNonDistributableLayerType = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    public const string SbomArtifactType = "application/vnd.example.sbom.v1+json";

    /// <summary>The image-spec's empty descriptor: <c>{}</c>, two bytes.</summary>
    public const string EmptyConfigDigest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    public static Digest ConfigDigest { get; } = TestDigests.Sha256Of("config");
    public static Digest LayerDigest { get; } = TestDigests.Sha256Of("layer-1");
    public static Digest SecondLayerDigest { get; } = TestDigests.Sha256Of("layer-2");
    public static Digest ChildDigest { get; } = TestDigests.Sha256Of("child-1");
    public static Digest SecondChildDigest { get; } = TestDigests.Sha256Of("child-2");
    public static Digest SubjectDigest { get; } = TestDigests.Sha256Of("subject");

    public static ReadOnlyMemory<byte> Bytes(string json) => Encoding.UTF8.GetBytes(json);

    public static string DockerManifest => $$"""
        {
          "schemaVersion": 2,
          "mediaType": "{{MediaTypes.DockerManifest}}",
          "config": { "mediaType": "{{DockerConfigType}}", "digest": "{{ConfigDigest}}", "size": 1469 },
          "layers": [
            { "mediaType": "{{DockerLayerType}}", "digest": "{{LayerDigest}}", "size": 2811 },
            { "mediaType": "{{DockerLayerType}}", "digest": "{{SecondLayerDigest}}", "size": 512 }
          ]
        }
        """;

    public static string DockerManifestList => $$"""
        {
          "schemaVersion": 2,
          "mediaType": "{{MediaTypes.DockerManifestList}}",
          "manifests": [
            { "mediaType": "{{MediaTypes.DockerManifest}}", "digest": "{{ChildDigest}}", "size": 528,
              "platform": { "architecture": "amd64", "os": "linux" } },
            { "mediaType": "{{MediaTypes.DockerManifest}}", "digest": "{{SecondChildDigest}}", "size": 529,
              "platform": { "architecture": "arm64", "os": "linux", "variant": "v8" } }
          ]
        }
        """;

    public static string OciManifest => $$"""
        {
          "schemaVersion": 2,
          "mediaType": "{{MediaTypes.OciManifest}}",
          "config": { "mediaType": "{{OciConfigType}}", "digest": "{{ConfigDigest}}", "size": 7023 },
          "layers": [
            { "mediaType": "{{OciLayerType}}", "digest": "{{LayerDigest}}", "size": 32654 },
            { "mediaType": "{{OciLayerType}}", "digest": "{{SecondLayerDigest}}", "size": 16724 }
          ],
          "annotations": {"com.example.key":"value","org.opencontainers.image.created":"2024-01-01T00:00:00Z"}
        }
        """;

    /// <summary>An OCI image manifest with no <c>mediaType</c> field (the field is optional in OCI).</summary>
    public static string OciManifestWithoutMediaType => $$"""
        {
          "schemaVersion": 2,
          "config": { "mediaType": "{{OciConfigType}}", "digest": "{{ConfigDigest}}", "size": 7023 },
          "layers": [ { "mediaType": "{{OciLayerType}}", "digest": "{{LayerDigest}}", "size": 32654 } ]
        }
        """;

    public static string OciIndex => $$"""
        {
          "schemaVersion": 2,
          "mediaType": "{{MediaTypes.OciIndex}}",
          "manifests": [
            { "mediaType": "{{MediaTypes.OciManifest}}", "digest": "{{ChildDigest}}", "size": 7143,
              "platform": { "architecture": "ppc64le", "os": "linux" } },
            { "mediaType": "{{MediaTypes.OciManifest}}", "digest": "{{SecondChildDigest}}", "size": 7682,
              "artifactType": "{{SbomArtifactType}}" }
          ],
          "annotations": {"com.example.index":"yes"}
        }
        """;

    /// <summary>An artifact (image-spec 1.1 guidance): <c>artifactType</c> set, the empty config, a subject.</summary>
    public static string OciArtifactManifest => $$"""
        {
          "schemaVersion": 2,
          "mediaType": "{{MediaTypes.OciManifest}}",
          "artifactType": "{{SbomArtifactType}}",
          "config": { "mediaType": "{{MediaTypes.OciEmpty}}", "digest": "{{EmptyConfigDigest}}", "size": 2, "data": "e30=" },
          "layers": [ { "mediaType": "application/spdx+json", "digest": "{{LayerDigest}}", "size": 1234 } ],
          "subject": { "mediaType": "{{MediaTypes.OciManifest}}", "digest": "{{SubjectDigest}}", "size": 7682 },
          "annotations": {"org.opencontainers.image.created":"2024-01-01T00:00:00Z"}
        }
        """;

    public static string OciIndexWithSubject => $$"""
        {
          "schemaVersion": 2,
          "mediaType": "{{MediaTypes.OciIndex}}",
          "artifactType": "{{SbomArtifactType}}",
          "manifests": [ { "mediaType": "{{MediaTypes.OciManifest}}", "digest": "{{ChildDigest}}", "size": 7143 } ],
          "subject": { "mediaType": "{{MediaTypes.OciManifest}}", "digest": "{{SubjectDigest}}", "size": 7682 }
        }
        """;

    /// <summary>An OCI manifest whose <c>config</c> descriptor is the given JSON.</summary>
    public static string OciManifestWithConfig(string configJson) => $$"""
        {
          "schemaVersion": 2,
          "mediaType": "{{MediaTypes.OciManifest}}",
          "config": {{configJson}},
          "layers": [ { "mediaType": "{{OciLayerType}}", "digest": "{{LayerDigest}}", "size": 32654 } ]
        }
        """;

    /// <summary>An OCI manifest whose <c>layers</c> value is the given JSON.</summary>
    public static string OciManifestWithLayers(string layersJson) => $$"""
        {
          "schemaVersion": 2,
          "mediaType": "{{MediaTypes.OciManifest}}",
          "config": { "mediaType": "{{OciConfigType}}", "digest": "{{ConfigDigest}}", "size": 7023 },
          "layers": {{layersJson}}
        }
        """;

    /// <summary>A Docker schema2 manifest whose <c>layers</c> value is the given JSON.</summary>
    public static string DockerManifestWithLayers(string layersJson) => $$"""
        {
          "schemaVersion": 2,
          "mediaType": "{{MediaTypes.DockerManifest}}",
          "config": { "mediaType": "{{DockerConfigType}}", "digest": "{{ConfigDigest}}", "size": 1469 },
          "layers": {{layersJson}}
        }
        """;

    /// <summary>A well-formed OCI image manifest with the given <c>schemaVersion</c> member (or none).</summary>
    public static string OciManifestWithSchemaVersion(string? schemaVersionMember) => $$"""
        {
          {{(schemaVersionMember is null ? "" : schemaVersionMember + ",")}}
          "mediaType": "{{MediaTypes.OciManifest}}",
          "config": { "mediaType": "{{OciConfigType}}", "digest": "{{ConfigDigest}}", "size": 7023 },
          "layers": [ { "mediaType": "{{OciLayerType}}", "digest": "{{LayerDigest}}", "size": 32654 } ]
        }
        """;

    /// <summary>A Docker schema1 manifest (signed), as old clients push it.</summary>
    public static string DockerSchema1Manifest => $$"""
        {
          "schemaVersion": 1,
          "mediaType": "{{MediaTypes.DockerSchema1Signed}}",
          "name": "library/hello",
          "tag": "latest",
          "architecture": "amd64",
          "fsLayers": [ { "blobSum": "{{LayerDigest}}" } ],
          "history": [ { "v1Compatibility": "{}" } ]
        }
        """;
}
