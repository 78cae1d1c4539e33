using Wharf.Distribution;

namespace Wharf.Core.Tests.Distribution;

public sealed class ReferenceTests
{
    private const string DigestText = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    [Fact]
    public void Parse_Tag_IsNotDigest()
    {
        var reference = Reference.Parse("latest");

        Assert.False(reference.IsDigest);
        Assert.Equal("latest", reference.TagName);
        Assert.Null(reference.Digest);
    }

    [Fact]
    public void Parse_Digest_IsDigest()
    {
        var reference = Reference.Parse(DigestText);

        Assert.True(reference.IsDigest);
        Assert.Null(reference.TagName);
        Assert.Equal(Digest.Parse(DigestText), reference.Digest);
    }

    [Theory]
    [InlineData("latest")]
    [InlineData(DigestText)]
    public void ToString_ParsedReference_RoundTrips(string text)
    {
        Assert.Equal(text, Reference.Parse(text).ToString());
    }

    [Fact]
    public void FromDigest_Digest_IsDigestReference()
    {
        var digest = Digest.Parse(DigestText);

        var reference = Reference.FromDigest(digest);

        Assert.True(reference.IsDigest);
        Assert.Equal(digest, reference.Digest);
        Assert.Equal(Reference.Parse(DigestText), reference);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("-dash")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("a b")]
    public void Parse_InvalidTag_ThrowsTagInvalid(string text)
    {
        var error = Assert.Throws<RegistryException>(() => Reference.Parse(text));

        Assert.Equal(ErrorCode.TagInvalid, error.Code);
    }

    [Fact]
    public void Parse_TagOf129Characters_ThrowsTagInvalid()
    {
        var error = Assert.Throws<RegistryException>(() => Reference.Parse(new string('a', 129)));

        Assert.Equal(ErrorCode.TagInvalid, error.Code);
    }

    [Fact]
    public void Parse_Null_ThrowsTagInvalid()
    {
        var error = Assert.Throws<RegistryException>(() => Reference.Parse(null));

        Assert.Equal(ErrorCode.TagInvalid, error.Code);
    }

    [Theory]
    [InlineData("a:b")]
    [InlineData("sha256:abc")]
    [InlineData("md5:900150983cd24fb0d6963f7d28e17f72")]
    [InlineData("sha256:../../etc")]
    [InlineData(":")]
    [InlineData("latest:")]
    [InlineData("SHA256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")]
    public void Parse_ColonButNotDigest_ThrowsDigestInvalid(string text)
    {
        var error = Assert.Throws<RegistryException>(() => Reference.Parse(text));

        Assert.Equal(ErrorCode.DigestInvalid, error.Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".INVALID_MANIFEST_NAME")]
    [InlineData("-dash")]
    [InlineData("a/b")]
    [InlineData(null)]
    public void ParseLookup_NeitherTagNorDigest_ReturnsNull(string? text)
    {
        Assert.Null(Reference.ParseLookup(text));
    }

    [Theory]
    [InlineData("latest")]
    [InlineData(DigestText)]
    public void ParseLookup_TagOrDigest_EqualsParse(string text)
    {
        Assert.Equal(Reference.Parse(text), Reference.ParseLookup(text));
    }

    [Theory]
    [InlineData("sha256:xyz")]
    [InlineData("latest:")]
    public void ParseLookup_MalformedDigest_ThrowsDigestInvalid(string text)
    {
        var error = Assert.Throws<RegistryException>(() => Reference.ParseLookup(text));

        Assert.Equal(ErrorCode.DigestInvalid, error.Code);
    }
}
