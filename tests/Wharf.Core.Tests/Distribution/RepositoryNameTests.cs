using Wharf.Distribution;

namespace Wharf.Core.Tests.Distribution;

public sealed class RepositoryNameTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("library/ubuntu")]
    [InlineData("a/b/c/d")]
    [InlineData("foo.bar")]
    [InlineData("foo_bar")]
    [InlineData("foo__bar")]
    [InlineData("foo-bar")]
    [InlineData("foo---bar")]
    [InlineData("a.b_c__d-e--f")]
    [InlineData("my-org/my.app/v2")]
    [InlineData("123/456")]
    public void TryParse_NameMatchingGrammar_ReturnsTrue(string value)
    {
        Assert.True(RepositoryName.TryParse(value, out var name));
        Assert.Equal(value, name.Value);
    }

    [Fact]
    public void TryParse_Exactly255Characters_ReturnsTrue()
    {
        var value = new string('a', 255);

        Assert.True(RepositoryName.TryParse(value, out var name));
        Assert.Equal(value, name.Value);
    }

    [Fact]
    public void TryParse_255CharactersWithComponents_ReturnsTrue()
    {
        var value = string.Join('/', Enumerable.Repeat(new string('a', 15), 16));
        Assert.Equal(255, value.Length);

        Assert.True(RepositoryName.TryParse(value, out _));
    }

    [Fact]
    public void TryParse_256Characters_ReturnsFalse()
    {
        Assert.False(RepositoryName.TryParse(new string('a', 256), out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("A")]
    [InlineData("Library/ubuntu")]
    [InlineData("library/Ubuntu")]
    [InlineData("foo/")]
    [InlineData("/foo")]
    [InlineData("/")]
    [InlineData("foo//bar")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/../b")]
    [InlineData("a/./b")]
    [InlineData("../a")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("a..b")]
    [InlineData("_a")]
    [InlineData("a_")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("a___b")]
    [InlineData("a_-b")]
    [InlineData("a-_b")]
    [InlineData("a._b")]
    [InlineData("a.-b")]
    [InlineData("foo%2fbar")]
    [InlineData("foo%2e%2e")]
    [InlineData("foo bar")]
    [InlineData(" foo")]
    [InlineData("foo\n")]
    [InlineData("foo:bar")]
    [InlineData("foo@bar")]
    [InlineData("foo\\bar")]
    [InlineData("foo\0bar")]
    public void TryParse_NameOutsideGrammar_ReturnsFalse(string value)
    {
        Assert.False(RepositoryName.TryParse(value, out _));
    }

    [Theory]
    [InlineData("café")]
    [InlineData("ｆｏｏ")]
    [InlineData("foö/bar")]
    [InlineData("ı")]
    [InlineData("a\u00a0b")]
    [InlineData("١٢٣")]
    public void TryParse_NonAscii_ReturnsFalse(string value)
    {
        Assert.False(RepositoryName.TryParse(value, out _));
    }

    [Fact]
    public void TryParse_Null_ReturnsFalse()
    {
        Assert.False(RepositoryName.TryParse(null, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("A")]
    [InlineData("a/../b")]
    [InlineData("foo%2fbar")]
    public void Parse_InvalidName_ThrowsNameInvalid(string value)
    {
        var error = Assert.Throws<RegistryException>(() => RepositoryName.Parse(value));

        Assert.Equal(ErrorCode.NameInvalid, error.Code);
    }

    [Fact]
    public void Parse_Null_ThrowsNameInvalid()
    {
        var error = Assert.Throws<RegistryException>(() => RepositoryName.Parse(null));

        Assert.Equal(ErrorCode.NameInvalid, error.Code);
    }

    [Fact]
    public void Parse_256Characters_ThrowsNameInvalid()
    {
        var error = Assert.Throws<RegistryException>(() => RepositoryName.Parse(new string('a', 256)));

        Assert.Equal(ErrorCode.NameInvalid, error.Code);
    }

    [Fact]
    public void Parse_ValidName_ToStringReturnsValue()
    {
        Assert.Equal("library/ubuntu", RepositoryName.Parse("library/ubuntu").ToString());
    }

    [Fact]
    public void Parse_SameNameTwice_ProducesEqualNames()
    {
        Assert.Equal(RepositoryName.Parse("library/ubuntu"), RepositoryName.Parse("library/ubuntu"));
    }
}
