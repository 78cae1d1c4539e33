using System.Text;
using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Gc;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Core.Tests.Gc;

/// <summary>The integrity scrub on SQLite and the filesystem: broken bytes found, repaired,
/// and a stopped scrub resumed.</summary>
public sealed class ScrubberTests : IDisposable
{
    private static CancellationToken Ct => CancellationToken.None;

    private readonly TempDirectory _temp = new();
    private readonly SqliteMetadataStore _store;
    private readonly FileSystemBlobStorage _storage;

    public ScrubberTests()
    {
        _store = new SqliteMetadataStore(_temp.Combine("wharf.db"));
        _storage = new FileSystemBlobStorage(_temp.Combine("storage"));
    }

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    private async Task<Digest> StoreAsync(string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var digest = TestDigests.Sha256Of(bytes);
        await File.WriteAllBytesAsync(BlobFile(digest, create: true), bytes);
        await _store.LinkBlobAsync(RepositoryName.Parse("app"), digest, bytes.Length, Ct);
        return digest;
    }

    private string BlobFile(Digest digest, bool create = false)
    {
        var path = _temp.Combine("storage", StoragePaths.Blob(digest));
        if (create)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }
        return path;
    }

    [Fact]
    public async Task RunAsync_SoundBlobs_ReportsNothing()
    {
        await StoreAsync("one");
        await StoreAsync("two");

        var result = await new Scrubber(_store, _storage).RunAsync(new ScrubSettings(), null, Ct);

        Assert.Equal(2, result.Checked);
        Assert.Empty(result.Missing);
        Assert.Empty(result.Corrupt);
    }

    [Fact]
    public async Task RunAsync_ChangedAndMissingBytes_ReportsEachAndChangesNothing()
    {
        var changed = await StoreAsync("changed");
        var missing = await StoreAsync("missing");
        await StoreAsync("sound");
        await File.WriteAllTextAsync(BlobFile(changed), "CHANGED");
        File.Delete(BlobFile(missing));

        var result = await new Scrubber(_store, _storage).RunAsync(new ScrubSettings(), null, Ct);

        Assert.Equal([missing], result.Missing);
        Assert.Equal([changed], result.Corrupt.Select(c => c.Digest));
        Assert.Contains("hash to", result.Corrupt[0].Problem);
        Assert.NotNull(await _store.GetBlobSizeAsync(changed, Ct));
        Assert.True(File.Exists(BlobFile(changed)));
    }

    [Fact]
    public async Task RunAsync_Repair_ForgetsBrokenBlobsAndDeletesTheirBytes()
    {
        var changed = await StoreAsync("changed");
        var sound = await StoreAsync("sound");
        await File.WriteAllTextAsync(BlobFile(changed), "CHANGED");

        var result = await new Scrubber(_store, _storage).RunAsync(new ScrubSettings(Repair: true), null, Ct);

        Assert.Equal(1, result.Repaired);
        Assert.Null(await _store.GetLinkedBlobSizeAsync(RepositoryName.Parse("app"), changed, Ct));
        Assert.False(File.Exists(BlobFile(changed)));
        Assert.Empty(await _store.ListBlobDeletionsAsync(DateTimeOffset.MaxValue, Ct));
        Assert.NotNull(await _store.GetBlobSizeAsync(sound, Ct));
    }

    [Fact]
    public async Task RunAsync_StoppedPartWay_ResumesAfterTheLastFullPage()
    {
        for (var i = 0; i < 250; i++)
        {
            await StoreAsync($"blob {i}");
        }
        using var stop = new CancellationTokenSource();
        var progress = new StopAfterPages(stop, pages: 2);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new Scrubber(_store, _storage).RunAsync(new ScrubSettings(), progress, stop.Token));
        var resumed = await new Scrubber(_store, _storage).RunAsync(new ScrubSettings(), null, Ct);
        var again = await new Scrubber(_store, _storage).RunAsync(new ScrubSettings(), null, Ct);

        Assert.NotNull(resumed.ResumedAfter);
        Assert.Equal(50, resumed.Checked);
        Assert.Null(again.ResumedAfter);
        Assert.Equal(250, again.Checked);
    }

    [Fact]
    public async Task RunAsync_Rate_PacesReads()
    {
        await StoreAsync(new string('x', 200_000));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var result = await new Scrubber(_store, _storage).RunAsync(new ScrubSettings(BytesPerSecond: 1_000_000), null, Ct);

        Assert.Equal(200_000, result.BytesRead);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"200 KB at 1 MB/s took {clock.Elapsed.TotalMilliseconds} ms");
    }

    private sealed class StopAfterPages(CancellationTokenSource stop, int pages) : IProgress<ScrubResult>
    {
        private int _seen;

        public void Report(ScrubResult value)
        {
            if (++_seen == pages)
            {
                stop.Cancel();
            }
        }
    }
}
