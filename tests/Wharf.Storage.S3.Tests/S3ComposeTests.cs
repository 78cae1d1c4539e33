namespace Wharf.Storage.S3.Tests;

/// <summary>The arithmetic of copies and parts beyond what a test engine can hold in RAM.</summary>
public sealed class S3ComposeTests
{
    private const long GiB = 1024L * 1024 * 1024;

    [Fact]
    public void Ranges_PieceOver5GiB_IsCutIntoEqualRangesOfAtMost5GiB()
    {
        var ranges = S3Compose.Ranges([new Piece("big", 0, 12 * GiB + 1)]);

        Assert.Equal(3, ranges.Count);
        Assert.All(ranges, r => Assert.InRange(r.Last - r.First + 1, S3Limits.MinPartSize, S3Limits.MaxCopySize));
        Assert.Equal(0, ranges[0].First);
        Assert.Equal(ranges[0].Last + 1, ranges[1].First);
        Assert.Equal(ranges[1].Last + 1, ranges[2].First);
        Assert.Equal(12 * GiB, ranges[2].Last);
    }

    [Fact]
    public void Ranges_SeveralPieces_CopiesEachFromItsOwnStart()
    {
        var ranges = S3Compose.Ranges([new Piece("a", 0, 6 * 1024 * 1024), new Piece("b", 6 * 1024 * 1024, 10)]);

        Assert.Equal([("a", 0L, 6L * 1024 * 1024 - 1), ("b", 0L, 9L)], ranges);
    }

    [Fact]
    public void Ranges_EmptyPiece_IsLeftOut()
    {
        Assert.Empty(S3Compose.Ranges([new Piece("empty", 0, 0)]));
    }

    [Fact]
    public void PartSize_TenThousandParts_ReachOver400GiBWithAtMostTenTimesTheBase()
    {
        long total = 0;
        for (var part = 1; part <= S3Limits.MaxParts; part++)
        {
            total += S3Limits.PartSize(S3Limits.DefaultPartSize, part);
        }

        Assert.True(total > 400 * GiB, $"10,000 parts hold only {total} bytes");
        Assert.Equal(10 * S3Limits.DefaultPartSize, S3Limits.PartSize(S3Limits.DefaultPartSize, S3Limits.MaxParts));
    }
}
