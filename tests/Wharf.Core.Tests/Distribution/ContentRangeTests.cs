using Wharf.Distribution;

namespace Wharf.Core.Tests.Distribution;

public sealed class ContentRangeTests
{
    [Theory]
    [InlineData("0-99", 0, 99)]
    [InlineData("100-199", 100, 199)]
    [InlineData("0-0", 0, 0)]
    [InlineData("5-5", 5, 5)]
    [InlineData("bytes 0-99/*", 0, 99)]
    [InlineData("bytes 100-199/200", 100, 199)]
    [InlineData("bytes=0-99", 0, 99)]
    [InlineData("0-99/*", 0, 99)]
    public void TryParse_ValidRange_ReturnsStartAndEnd(string value, long start, long end)
    {
        Assert.True(ContentRange.TryParse(value, out var range));
        Assert.Equal(new ContentRange(start, end), range);
    }

    [Theory]
    [InlineData(" 0-99 ")]
    [InlineData("\t0-99\r\n")]
    [InlineData("  bytes 0-99/*  ")]
    [InlineData("bytes   0-99")]
    [InlineData("bytes = 0-99")]
    public void TryParse_SurroundingWhitespace_IsIgnored(string value)
    {
        Assert.True(ContentRange.TryParse(value, out var range));
        Assert.Equal(new ContentRange(0, 99), range);
    }

    [Fact]
    public void TryParse_LargestAcceptedNumbers_Parse()
    {
        Assert.True(ContentRange.TryParse("0-999999999999999999", out var range));
        Assert.Equal(999_999_999_999_999_999L, range.End);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("99-0")]
    [InlineData("100-99")]
    [InlineData("-5")]
    [InlineData("a-b")]
    [InlineData("0-b")]
    [InlineData("a-9")]
    [InlineData("0-")]
    [InlineData("-")]
    [InlineData("1-2-3")]
    [InlineData("0")]
    [InlineData("bytes")]
    [InlineData("bytes=")]
    [InlineData("+1-2")]
    [InlineData("1-+2")]
    [InlineData("0x1-0x2")]
    [InlineData("1 -2")]
    [InlineData("1- 2")]
    [InlineData("١-٢")]
    public void TryParse_InvalidRange_ReturnsFalse(string value)
    {
        Assert.False(ContentRange.TryParse(value, out _));
    }

    [Fact]
    public void TryParse_Null_ReturnsFalse()
    {
        Assert.False(ContentRange.TryParse(null, out _));
    }

    [Theory]
    [InlineData("0-99999999999999999999")]
    [InlineData("99999999999999999999-99999999999999999999")]
    [InlineData("0-9223372036854775808")]
    [InlineData("0-18446744073709551616")]
    public void TryParse_NumberOverflowingLong_ReturnsFalse(string value)
    {
        Assert.False(ContentRange.TryParse(value, out _));
    }

    [Theory]
    [InlineData(0, 99, 100)]
    [InlineData(100, 199, 100)]
    [InlineData(5, 5, 1)]
    [InlineData(0, 0, 1)]
    public void Length_InclusiveRange_CountsBothEnds(long start, long end, long length)
    {
        Assert.Equal(length, new ContentRange(start, end).Length);
    }
}
