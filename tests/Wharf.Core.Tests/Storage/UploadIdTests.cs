using Wharf.Storage;

namespace Wharf.Core.Tests.Storage;

public sealed class UploadIdTests
{
    [Fact]
    public void New_Always_IsCanonicalLowercaseGuid()
    {
        var id = UploadId.New();

        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", id.Value);
    }

    [Fact]
    public void New_TwoCalls_ProduceDifferentIds()
    {
        Assert.NotEqual(UploadId.New(), UploadId.New());
    }

    [Fact]
    public void TryParse_NewId_RoundTrips()
    {
        var id = UploadId.New();

        Assert.True(UploadId.TryParse(id.ToString(), out var parsed));
        Assert.Equal(id, parsed);
    }

    [Fact]
    public void TryParse_CanonicalLowercaseGuid_ReturnsTrue()
    {
        Assert.True(UploadId.TryParse("0f8fad5b-d9cb-469f-a165-70867728950e", out var id));
        Assert.Equal("0f8fad5b-d9cb-469f-a165-70867728950e", id.Value);
    }

    [Theory]
    [InlineData("0F8FAD5B-D9CB-469F-A165-70867728950E")]
    [InlineData("0f8fad5b-d9cb-469f-a165-70867728950E")]
    [InlineData("{0f8fad5b-d9cb-469f-a165-70867728950e}")]
    [InlineData("(0f8fad5b-d9cb-469f-a165-70867728950e)")]
    [InlineData("0f8fad5bd9cb469fa16570867728950e")]
    [InlineData("../x")]
    [InlineData("../../../../../../../../../../etc/passwd")]
    [InlineData("0f8fad5b-d9cb-469f-a165-70867728950/")]
    [InlineData("0f8fad5b-d9cb-469f-a165-7086772895/.")]
    [InlineData("")]
    [InlineData(" 0f8fad5b-d9cb-469f-a165-70867728950e")]
    [InlineData("0f8fad5b-d9cb-469f-a165-70867728950e ")]
    [InlineData("0f8fad5b-d9cb-469f-a165-70867728950g")]
    [InlineData("{0x0f8fad5b,0xd9cb,0x469f,{0xa1,0x65,0x70,0x86,0x77,0x28,0x95,0x0e}}")]
    public void TryParse_NonCanonicalText_ReturnsFalse(string value)
    {
        Assert.False(UploadId.TryParse(value, out _));
    }

    [Fact]
    public void TryParse_Null_ReturnsFalse()
    {
        Assert.False(UploadId.TryParse(null, out _));
    }
}
