using Wharf.Distribution;
using Wharf.Manifests;
using static Wharf.Core.Tests.Manifests.ManifestSamples;

namespace Wharf.Core.Tests.Manifests;

public sealed class ManifestParserContentTypeTests
{
    [Theory]
    [InlineData(MediaTypes.OciManifest + "; charset=utf-8")]
    [InlineData(MediaTypes.OciManifest + ";charset=utf-8")]
    [InlineData(" " + MediaTypes.OciManifest + " ; charset=\"utf-8\"")]
    public void Parse_ContentTypeWithParameters_IsAccepted(string contentType)
    {
        var manifest = ManifestParser.Parse(Bytes(OciManifest), contentType);

        Assert.Equal(MediaTypes.OciManifest, manifest.MediaType);
    }

    [Fact]
    public void Parse_ContentTypeInOtherCase_IsAccepted()
    {
        var manifest = ManifestParser.Parse(Bytes(OciManifest), "Application/VND.OCI.Image.Manifest.v1+JSON");

        Assert.Equal(MediaTypes.OciManifest, manifest.MediaType);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Parse_MissingContentType_FallsBackToBodyMediaType(string? contentType)
    {
        var manifest = ManifestParser.Parse(Bytes(DockerManifest), contentType);

        Assert.Equal(MediaTypes.DockerManifest, manifest.MediaType);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/octet-stream")]
    public void Parse_GenericContentType_FallsBackToBodyMediaType(string contentType)
    {
        var manifest = ManifestParser.Parse(Bytes(OciIndex), contentType);

        Assert.Equal(MediaTypes.OciIndex, manifest.MediaType);
    }

    [Fact]
    public void Parse_NoContentTypeAndNoBodyMediaType_ThrowsManifestInvalid()
    {
        AssertInvalid(OciManifestWithoutMediaType, null);
    }

    [Theory]
    [InlineData(MediaTypes.DockerSchema1)]
    [InlineData(MediaTypes.DockerSchema1Signed)]
    public void Parse_Schema1ContentType_ThrowsManifestInvalid(string contentType)
    {
        AssertInvalid(OciManifestWithoutMediaType, contentType);
    }

    [Theory]
    [InlineData(MediaTypes.DockerSchema1)]
    [InlineData(MediaTypes.DockerSchema1Signed)]
    public void Parse_Schema1BodyMediaType_ThrowsManifestInvalid(string bodyMediaType)
    {
        var json = DockerManifest.Replace(MediaTypes.DockerManifest, bodyMediaType, StringComparison.Ordinal);

        AssertInvalid(json, null);
    }

    [Fact]
    public void Parse_Schema1BodyMediaTypeWithSchema2ContentType_ThrowsManifestInvalid()
    {
        var json = DockerManifest.Replace(MediaTypes.DockerManifest, MediaTypes.DockerSchema1Signed, StringComparison.Ordinal);

        AssertInvalid(json, MediaTypes.DockerManifest);
    }

    [Fact]
    public void Parse_Schema1Manifest_ThrowsManifestInvalid()
    {
        AssertInvalid(DockerSchema1Manifest, MediaTypes.DockerSchema1Signed);
    }

    [Theory]
    [InlineData("application/vnd.example.unknown+json")]
    [InlineData("text/plain")]
    [InlineData(MediaTypes.OciEmpty)]
    [InlineData("application/vnd.oci.image.config.v1+json")]
    public void Parse_UnknownContentType_ThrowsManifestInvalid(string contentType)
    {
        AssertInvalid(OciManifestWithoutMediaType, contentType);
    }

    [Fact]
    public void Parse_UnknownBodyMediaType_ThrowsManifestInvalid()
    {
        var json = OciManifest.Replace(MediaTypes.OciManifest, "application/vnd.example.unknown+json", StringComparison.Ordinal);

        AssertInvalid(json, null);
    }

    [Theory]
    [InlineData(MediaTypes.OciManifest)]
    [InlineData(MediaTypes.OciIndex)]
    [InlineData(MediaTypes.DockerManifestList)]
    public void Parse_ContentTypeDisagreesWithBodyMediaType_ThrowsManifestInvalid(string contentType)
    {
        AssertInvalid(DockerManifest, contentType);
    }

    [Fact]
    public void Parse_BodyMediaTypeNotAString_ThrowsManifestInvalid()
    {
        var json = OciManifest.Replace($"\"{MediaTypes.OciManifest}\"", "42", StringComparison.Ordinal);

        AssertInvalid(json, MediaTypes.OciManifest);
    }

    private static void AssertInvalid(string json, string? contentType)
    {
        var error = Assert.Throws<RegistryException>(() => ManifestParser.Parse(Bytes(json), contentType));
        Assert.Equal(ErrorCode.ManifestInvalid, error.Code);
    }
}
