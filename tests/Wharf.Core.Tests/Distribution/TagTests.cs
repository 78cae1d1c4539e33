using Wharf.Distribution;

namespace Wharf.Core.Tests.Distribution;

public sealed class TagTests
{
    [Theory]
    [InlineData("latest")]
    [InlineData("v1.0")]
    [InlineData("_x")]
    [InlineData("x")]
    [InlineData("0")]
    [InlineData("V1.2.3-rc.1_build")]
    [InlineData("a..b")]
    [InlineData("a--")]
    [InlineData("UPPER")]
    public void IsValid_TagMatchingGrammar_ReturnsTrue(string tag)
    {
        Assert.True(Tag.IsValid(tag));
    }

    [Fact]
    public void IsValid_128Characters_ReturnsTrue()
    {
        Assert.True(Tag.IsValid(new string('a', 128)));
    }

    [Fact]
    public void IsValid_129Characters_ReturnsFalse()
    {
        Assert.False(Tag.IsValid(new string('a', 129)));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".x")]
    [InlineData("-x")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/b")]
    [InlineData("a:b")]
    [InlineData("a@b")]
    [InlineData("a b")]
    [InlineData(" a")]
    [InlineData("a\n")]
    [InlineData("a%2fb")]
    [InlineData("a+b")]
    [InlineData("é")]
    [InlineData("ａ")]
    public void IsValid_TagOutsideGrammar_ReturnsFalse(string tag)
    {
        Assert.False(Tag.IsValid(tag));
    }

    [Fact]
    public void IsValid_Null_ReturnsFalse()
    {
        Assert.False(Tag.IsValid(null));
    }

    [Fact]
    public void Validate_ValidTag_ReturnsIt()
    {
        Assert.Equal("v1.0", Tag.Validate("v1.0"));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".v1")]
    [InlineData(null)]
    public void Validate_InvalidTag_ThrowsTagInvalidWith400(string? tag)
    {
        var error = Assert.Throws<RegistryException>(() => Tag.Validate(tag));

        Assert.Equal(ErrorCode.TagInvalid, error.Code);
        Assert.Equal(400, error.Status);
        Assert.Equal("TAG_INVALID", error.Code.Describe().Code);
    }
}
