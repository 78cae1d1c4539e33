using System.Security.Cryptography;
using System.Text;
using Wharf.Distribution;

namespace Wharf.Core.Tests.Distribution;

public sealed class DigestTests
{
    // sha256("abc") and sha512("abc"), the FIPS 180 test vectors.
    private const string AbcSha256Hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    private const string AbcSha512Hex = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

    [Fact]
    public void Parse_ValidSha256_ExposesAlgorithmAndHex()
    {
        var digest = Digest.Parse("sha256:" + AbcSha256Hex);

        Assert.Equal(Digest.Sha256, digest.Algorithm);
        Assert.Equal(AbcSha256Hex, digest.Hex);
    }

    [Fact]
    public void Parse_ValidSha512_ExposesAlgorithmAndHex()
    {
        var digest = Digest.Parse("sha512:" + AbcSha512Hex);

        Assert.Equal(Digest.Sha512, digest.Algorithm);
        Assert.Equal(AbcSha512Hex, digest.Hex);
    }

    [Theory]
    [InlineData("sha256:" + AbcSha256Hex)]
    [InlineData("sha512:" + AbcSha512Hex)]
    public void ToString_ParsedDigest_RoundTrips(string text)
    {
        Assert.Equal(text, Digest.Parse(text).ToString());
    }

    [Fact]
    public void Parse_SameTextTwice_ProducesEqualDigests()
    {
        Assert.Equal(Digest.Parse("sha256:" + AbcSha256Hex), Digest.Parse("sha256:" + AbcSha256Hex));
    }

    [Theory]
    [InlineData("sha256:" + AbcSha256Hex)]
    [InlineData("sha512:" + AbcSha512Hex)]
    public void TryParse_ValidDigest_ReturnsTrue(string text)
    {
        Assert.True(Digest.TryParse(text, out var digest));
        Assert.Equal(text, digest.ToString());
    }

    [Theory]
    [InlineData("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")]
    [InlineData("sha256:Ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("SHA256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    public void TryParse_UppercaseHexOrAlgorithm_ReturnsFalse(string text)
    {
        Assert.False(Digest.TryParse(text, out _));
    }

    [Theory]
    [InlineData("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a")]
    [InlineData("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adf")]
    [InlineData("sha256:")]
    [InlineData("sha512:" + AbcSha256Hex)]
    [InlineData("sha256:" + AbcSha512Hex)]
    public void TryParse_WrongHexLength_ReturnsFalse(string text)
    {
        Assert.False(Digest.TryParse(text, out _));
    }

    [Theory]
    [InlineData("md5:900150983cd24fb0d6963f7d28e17f72")]
    [InlineData("sha384:cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")]
    [InlineData("sha1:a9993e364706816aba3e25717850c26c9cd0d89d")]
    [InlineData("blake3:" + AbcSha256Hex)]
    public void TryParse_UnknownAlgorithm_ReturnsFalse(string text)
    {
        Assert.False(Digest.TryParse(text, out _));
    }

    [Theory]
    [InlineData(AbcSha256Hex)]
    [InlineData("sha256" + AbcSha256Hex)]
    [InlineData("sha256-" + AbcSha256Hex)]
    public void TryParse_MissingColon_ReturnsFalse(string text)
    {
        Assert.False(Digest.TryParse(text, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData(":")]
    [InlineData(":" + AbcSha256Hex)]
    [InlineData(" ")]
    public void TryParse_EmptyOrBlankParts_ReturnsFalse(string text)
    {
        Assert.False(Digest.TryParse(text, out _));
    }

    [Fact]
    public void TryParse_Null_ReturnsFalse()
    {
        Assert.False(Digest.TryParse(null, out _));
    }

    [Theory]
    [InlineData("sha256:../../etc")]
    [InlineData("sha256:%2e%2e")]
    [InlineData("sha256:../../../../../../../../../../../../../../../../../../../../etc/passwd")]
    [InlineData("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f2001/..")]
    [InlineData("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a/")]
    [InlineData("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a\\")]
    public void TryParse_PathTricks_ReturnsFalse(string text)
    {
        Assert.False(Digest.TryParse(text, out _));
    }

    [Theory]
    [InlineData(" sha256:" + AbcSha256Hex)]
    [InlineData("sha256:" + AbcSha256Hex + " ")]
    [InlineData("sha256:" + AbcSha256Hex + "\n")]
    [InlineData("sha256: " + AbcSha256Hex)]
    public void TryParse_SurroundingWhitespace_ReturnsFalse(string text)
    {
        Assert.False(Digest.TryParse(text, out _));
    }

    [Fact]
    public void TryParse_NonHexCharacterOfRightLength_ReturnsFalse()
    {
        Assert.False(Digest.TryParse("sha256:" + new string('g', 64), out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("md5:900150983cd24fb0d6963f7d28e17f72")]
    [InlineData("sha256:../../etc")]
    [InlineData("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")]
    [InlineData(AbcSha256Hex)]
    public void Parse_InvalidDigest_ThrowsDigestInvalid(string text)
    {
        var error = Assert.Throws<RegistryException>(() => Digest.Parse(text));

        Assert.Equal(ErrorCode.DigestInvalid, error.Code);
    }

    [Fact]
    public void Parse_Null_ThrowsDigestInvalid()
    {
        var error = Assert.Throws<RegistryException>(() => Digest.Parse(null));

        Assert.Equal(ErrorCode.DigestInvalid, error.Code);
    }

    [Fact]
    public void Parse_InvalidDigest_ReportsStatus400()
    {
        var error = Assert.Throws<RegistryException>(() => Digest.Parse("nope"));

        Assert.Equal(400, error.Status);
    }

    [Fact]
    public void Parse_VeryLongInput_ClipsQuotedValueInDetail()
    {
        var error = Assert.Throws<RegistryException>(() => Digest.Parse("sha256:" + new string('x', 10_000)));

        Assert.NotNull(error.Detail);
        Assert.True(error.Detail.Length < 1_000, $"detail is {error.Detail.Length} characters");
    }

    [Fact]
    public void FromHash_Sha256Hash_ProducesLowercaseHexDigest()
    {
        var digest = Digest.FromHash(Digest.Sha256, SHA256.HashData(Encoding.ASCII.GetBytes("abc")));

        Assert.Equal("sha256:" + AbcSha256Hex, digest.ToString());
    }

    [Fact]
    public void FromHash_Sha512Hash_ProducesLowercaseHexDigest()
    {
        var digest = Digest.FromHash(Digest.Sha512, SHA512.HashData(Encoding.ASCII.GetBytes("abc")));

        Assert.Equal("sha512:" + AbcSha512Hex, digest.ToString());
    }

    [Fact]
    public void FromHash_Sha256Hash_EqualsParsedDigest()
    {
        var digest = Digest.FromHash(Digest.Sha256, SHA256.HashData(Encoding.ASCII.GetBytes("abc")));

        Assert.Equal(Digest.Parse("sha256:" + AbcSha256Hex), digest);
    }

    [Fact]
    public void FromHash_HashOfWrongLength_ThrowsArgumentException()
    {
        var sha512 = SHA512.HashData(Encoding.ASCII.GetBytes("abc"));

        Assert.Throws<ArgumentException>(() => Digest.FromHash(Digest.Sha256, sha512));
    }

    [Fact]
    public void FromHash_UnsupportedAlgorithm_ThrowsArgumentException()
    {
        var md5Sized = new byte[16];

        Assert.Throws<ArgumentException>(() => Digest.FromHash("md5", md5Sized));
    }

    [Theory]
    [InlineData("sha256", true)]
    [InlineData("sha512", true)]
    [InlineData("sha384", false)]
    [InlineData("md5", false)]
    [InlineData("SHA256", false)]
    [InlineData("", false)]
    public void IsSupportedAlgorithm_Name_ReturnsWhetherVerifiable(string algorithm, bool expected)
    {
        Assert.Equal(expected, Digest.IsSupportedAlgorithm(algorithm));
    }
}
