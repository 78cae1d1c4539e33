namespace Wharf.Tests.Configuration;

/// <summary>Cache budgets (Cache:*) and memory settings (Memory:*) are checked at start like every other setting.</summary>
public sealed class CacheSettingsTests
{
    [Fact]
    public void NegativeBudgetsAndTinySqliteCaches_StopTheServerAtStart()
    {
        var storage = Path.Combine(Path.GetTempPath(), "wharf-cache-check-" + Guid.NewGuid().ToString("N"));
        try
        {
            var problems = StartupChecks.Run(storage, ("Cache:ManifestBytes", "-1"), ("Cache:BlobLinkBytes", "-5"), ("Cache:SqlitePageCacheBytes", "1024"),
                ("Cache:SqliteReaderCacheBytes", "65536"), ("Memory:TrimAfterIdle", "-00:00:01"));

            Assert.Contains(problems, p => p.Contains("Cache:ManifestBytes must be 0 (off) or more", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.Contains("Cache:BlobLinkBytes must be 0 (off) or more", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.Contains("Cache:SqlitePageCacheBytes must be at least 65536", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.Contains("Cache:SqliteReaderCacheBytes must be at least 262144", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.Contains("Memory:TrimAfterIdle must be 0 (off) or positive", StringComparison.Ordinal));
        }
        finally
        {
            Api.SqlitePools.ReleaseUnder(storage);
            if (Directory.Exists(storage))
            {
                Directory.Delete(storage, recursive: true);
            }
        }
    }

    [Fact]
    public void ZeroBudgets_TurnTheCachesOffAndTheServerStarts()
    {
        var storage = Path.Combine(Path.GetTempPath(), "wharf-cache-check-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Empty(StartupChecks.Run(storage, ("Cache:ManifestBytes", "0"), ("Cache:BlobLinkBytes", "0")));
        }
        finally
        {
            Api.SqlitePools.ReleaseUnder(storage);
            if (Directory.Exists(storage))
            {
                Directory.Delete(storage, recursive: true);
            }
        }
    }
}
