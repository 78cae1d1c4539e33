using System.Text;
using Wharf.Distribution;
using Wharf.Manifests;
using static Wharf.Core.Tests.Manifests.ManifestSamples;

namespace Wharf.Core.Tests.Manifests;

public sealed class ManifestParserErrorTests
{
    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{")]
    [InlineData("{\"schemaVersion\": 2,}")]
    [InlineData("{'schemaVersion': 2}")]
    public void Parse_NotJson_ThrowsManifestInvalid(string body)
    {
        AssertInvalid(body, MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_InvalidUtf8InDescriptorString_ThrowsManifestInvalid()
    {
        // "\xC3\x28" is an invalid two-byte sequence, placed inside the config's mediaType string.
        var bytes = Encoding.UTF8.GetBytes(OciManifestWithConfig($$"""{ "mediaType": "application/@@", "digest": "{{ConfigDigest}}", "size": 1 }"""));
        var marker = Array.IndexOf(bytes, (byte)'@');
        bytes[marker] = 0xC3;
        bytes[marker + 1] = 0x28;

        var error = Assert.Throws<RegistryException>(() => ManifestParser.Parse(bytes, MediaTypes.OciManifest));

        Assert.Equal(ErrorCode.ManifestInvalid, error.Code);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[{\"schemaVersion\": 2}]")]
    [InlineData("\"manifest\"")]
    [InlineData("2")]
    [InlineData("null")]
    public void Parse_JsonNotAnObject_ThrowsManifestInvalid(string body)
    {
        AssertInvalid(body, MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_SchemaVersionMissing_ThrowsManifestInvalid()
    {
        AssertInvalid(OciManifestWithSchemaVersion(null), MediaTypes.OciManifest);
    }

    [Theory]
    [InlineData("\"schemaVersion\": 1")]
    [InlineData("\"schemaVersion\": 3")]
    [InlineData("\"schemaVersion\": \"2\"")]
    [InlineData("\"schemaVersion\": 2.5")]
    [InlineData("\"schemaVersion\": null")]
    public void Parse_SchemaVersionNotTwo_ThrowsManifestInvalid(string member)
    {
        AssertInvalid(OciManifestWithSchemaVersion(member), MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_SchemaVersionTwo_IsAccepted()
    {
        var manifest = ManifestParser.Parse(Bytes(OciManifestWithSchemaVersion("\"schemaVersion\": 2")), MediaTypes.OciManifest);

        Assert.Equal(MediaTypes.OciManifest, manifest.MediaType);
    }

    [Fact]
    public void Parse_ImageManifestWithoutConfig_ThrowsManifestInvalid()
    {
        var json = $$"""
            { "schemaVersion": 2, "mediaType": "{{MediaTypes.OciManifest}}",
              "layers": [ { "mediaType": "{{OciLayerType}}", "digest": "{{LayerDigest}}", "size": 1 } ] }
            """;

        AssertInvalid(json, MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_DockerManifestWithoutLayers_ThrowsManifestInvalid()
    {
        var json = $$"""
            { "schemaVersion": 2, "mediaType": "{{MediaTypes.DockerManifest}}",
              "config": { "mediaType": "{{DockerConfigType}}", "digest": "{{ConfigDigest}}", "size": 1 } }
            """;

        AssertInvalid(json, MediaTypes.DockerManifest);
    }

    [Theory]
    [InlineData(MediaTypes.OciIndex)]
    [InlineData(MediaTypes.DockerManifestList)]
    public void Parse_IndexWithoutManifests_ThrowsManifestInvalid(string mediaType)
    {
        AssertInvalid($$"""{ "schemaVersion": 2, "mediaType": "{{mediaType}}" }""", mediaType);
    }

    [Fact]
    public void Parse_DescriptorMissingDigest_ThrowsManifestInvalid()
    {
        AssertInvalid(OciManifestWithConfig($$"""{ "mediaType": "{{OciConfigType}}", "size": 7023 }"""), MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_DescriptorMissingSize_ThrowsManifestInvalid()
    {
        AssertInvalid(OciManifestWithConfig($$"""{ "mediaType": "{{OciConfigType}}", "digest": "{{ConfigDigest}}" }"""), MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_DescriptorMissingMediaType_ThrowsManifestInvalid()
    {
        AssertInvalid(OciManifestWithConfig($$"""{ "digest": "{{ConfigDigest}}", "size": 7023 }"""), MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_LayerMissingDigest_ThrowsManifestInvalid()
    {
        AssertInvalid(OciManifestWithLayers($$"""[ { "mediaType": "{{OciLayerType}}", "size": 1 } ]"""), MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_IndexChildMissingSize_ThrowsManifestInvalid()
    {
        var json = $$"""
            { "schemaVersion": 2, "mediaType": "{{MediaTypes.OciIndex}}",
              "manifests": [ { "mediaType": "{{MediaTypes.OciManifest}}", "digest": "{{ChildDigest}}" } ] }
            """;

        AssertInvalid(json, MediaTypes.OciIndex);
    }

    [Fact]
    public void Parse_SubjectMissingDigest_ThrowsManifestInvalid()
    {
        var json = OciManifest.TrimEnd().TrimEnd('}') + $$""", "subject": { "mediaType": "{{MediaTypes.OciManifest}}", "size": 1 } }""";

        AssertInvalid(json, MediaTypes.OciManifest);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("-9223372036854775808")]
    public void Parse_NegativeSize_ThrowsManifestInvalid(string size)
    {
        AssertInvalid(OciManifestWithConfig($$"""{ "mediaType": "{{OciConfigType}}", "digest": "{{ConfigDigest}}", "size": {{size}} }"""), MediaTypes.OciManifest);
    }

    [Theory]
    [InlineData("\"7023\"")]
    [InlineData("1.5")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("99999999999999999999")]
    public void Parse_SizeNotAnInteger_ThrowsManifestInvalid(string size)
    {
        AssertInvalid(OciManifestWithConfig($$"""{ "mediaType": "{{OciConfigType}}", "digest": "{{ConfigDigest}}", "size": {{size}} }"""), MediaTypes.OciManifest);
    }

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("md5:900150983cd24fb0d6963f7d28e17f72")]
    [InlineData("sha256:../../etc")]
    [InlineData("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")]
    [InlineData("")]
    public void Parse_LayerWithBadDigest_ThrowsManifestInvalid(string digest)
    {
        AssertInvalid(OciManifestWithLayers($$"""[ { "mediaType": "{{OciLayerType}}", "digest": "{{digest}}", "size": 1 } ]"""), MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_DigestNotAString_ThrowsManifestInvalid()
    {
        AssertInvalid(OciManifestWithConfig($$"""{ "mediaType": "{{OciConfigType}}", "digest": 42, "size": 1 }"""), MediaTypes.OciManifest);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("\"layer\"")]
    [InlineData("42")]
    public void Parse_LayersNotAnArray_ThrowsManifestInvalid(string layers)
    {
        AssertInvalid(OciManifestWithLayers(layers), MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_ManifestsNotAnArray_ThrowsManifestInvalid()
    {
        AssertInvalid($$"""{ "schemaVersion": 2, "mediaType": "{{MediaTypes.OciIndex}}", "manifests": {} }""", MediaTypes.OciIndex);
    }

    [Theory]
    [InlineData("[ \"sha256:abc\" ]")]
    [InlineData("[ 1 ]")]
    [InlineData("[ null ]")]
    public void Parse_LayerNotAnObject_ThrowsManifestInvalid(string layers)
    {
        AssertInvalid(OciManifestWithLayers(layers), MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_ConfigNotAnObject_ThrowsManifestInvalid()
    {
        AssertInvalid(OciManifestWithConfig($"\"{ConfigDigest}\""), MediaTypes.OciManifest);
    }

    [Theory]
    [InlineData(65)]
    [InlineData(100)]
    [InlineData(10_000)]
    public void Parse_DeeplyNestedJson_ThrowsManifestInvalid(int depth)
    {
        var nested = new string('[', depth) + new string(']', depth);
        var json = OciManifest.TrimEnd().TrimEnd('}') + $", \"x-extension\": {nested} }}";

        AssertInvalid(json, MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_DeeplyNestedObjectsAtRoot_ThrowsManifestInvalid()
    {
        var depth = 100;
        var json = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            json.Append("{\"a\":");
        }
        json.Append('1').Append('}', depth);

        AssertInvalid(json.ToString(), MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_Invalid_ReportsStatus400()
    {
        var error = Assert.Throws<RegistryException>(() => ManifestParser.Parse(Bytes("[]"), MediaTypes.OciManifest));

        Assert.Equal(400, error.Status);
    }

    [Theory]
    [InlineData("application/vnd.example\\u0000+json")]
    [InlineData("application/vnd.example\\n+json")]
    [InlineData("application/vnd.example\\ud800+json")]
    public void Parse_ArtifactTypeWithControlCharacterOrLoneSurrogate_ThrowsManifestInvalid(string escaped)
    {
        var json = OciManifest.Replace("\"schemaVersion\": 2,", $"\"schemaVersion\": 2, \"artifactType\": \"{escaped}\",", StringComparison.Ordinal);
        Assert.Contains(escaped, json, StringComparison.Ordinal);

        AssertInvalid(json, MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_ConfigMediaTypeWithNul_ThrowsManifestInvalid()
    {
        AssertInvalid(OciManifestWithConfig($$"""{ "mediaType": "application/x\u0000y", "digest": "{{ConfigDigest}}", "size": 1 }"""), MediaTypes.OciManifest);
    }

    [Fact]
    public void Parse_ArtifactTypeWithSurrogatePair_Accepted()
    {
        var json = OciManifest.Replace("\"schemaVersion\": 2,", "\"schemaVersion\": 2, \"artifactType\": \"application/vnd.\\ud83d\\udea2+json\",", StringComparison.Ordinal);

        Assert.Equal("application/vnd.\ud83d\udea2+json", ManifestParser.Parse(Bytes(json), MediaTypes.OciManifest).ArtifactType);
    }

    private static void AssertInvalid(string json, string? contentType)
    {
        var error = Assert.Throws<RegistryException>(() => ManifestParser.Parse(Bytes(json), contentType));
        Assert.Equal(ErrorCode.ManifestInvalid, error.Code);
    }
}
