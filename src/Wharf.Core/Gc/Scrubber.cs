using System.Diagnostics;
using System.Security.Cryptography;
using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Registry;
using Wharf.Storage;

namespace Wharf.Gc;

/// <summary>How a scrub runs.</summary>
/// <param name="Repair">Forget each broken blob (its links and row) and delete its bytes, so the next
/// push uploads it again.</param>
/// <param name="BytesPerSecond">At most this many bytes read a second (null: as fast as storage goes).</param>
/// <param name="Restart">Start from the first blob, not where the last run stopped.</param>
public sealed record ScrubSettings(bool Repair = false, long? BytesPerSecond = null, bool Restart = false);

/// <summary>What a scrub found.</summary>
public sealed class ScrubResult
{
    public long Checked { get; set; }
    public long BytesRead { get; set; }
    public List<Digest> Missing { get; } = [];
    public List<(Digest Digest, string Problem)> Corrupt { get; } = [];
    public long Repaired { get; set; }
    /// <summary>The digest the run began after (null: from the first).</summary>
    public Digest? ResumedAfter { get; set; }
}

/// <summary>
/// The integrity scrub: re-hashes every stored blob, in digest order, and reports those whose bytes
/// no longer match their digest (or size) and those whose bytes are missing. Its place is saved
/// after every page, so a scrub stopped part-way resumes there. Reads are paced to
/// <see cref="ScrubSettings.BytesPerSecond"/> so it can run beside live traffic.
/// </summary>
public sealed class Scrubber(IMetadataStore metadata, IBlobStorage storage)
{
    public const string ProgressName = "scrub";
    private const int PageSize = 100;

    public async Task<ScrubResult> RunAsync(ScrubSettings settings, IProgress<ScrubResult>? progress, CancellationToken cancellationToken)
    {
        var result = new ScrubResult();
        Digest? after = null;
        if (!settings.Restart && await metadata.GetProgressAsync(ProgressName, cancellationToken) is { } saved && Digest.TryParse(saved, out var resumed))
        {
            after = resumed;
            result.ResumedAfter = resumed;
        }
        var clock = Stopwatch.StartNew();
        var buffer = new byte[256 * 1024];
        while (true)
        {
            var page = await metadata.ListBlobsAsync(after, PageSize, cancellationToken);
            foreach (var blob in page)
            {
                var problem = await CheckAsync(blob, buffer, settings.BytesPerSecond, clock, result, cancellationToken);
                result.Checked++;
                if (problem is null)
                {
                    continue;
                }
                if (problem == MissingProblem)
                {
                    result.Missing.Add(blob.Digest);
                }
                else
                {
                    result.Corrupt.Add((blob.Digest, problem));
                }
                if (settings.Repair && await metadata.ForgetBrokenBlobAsync(blob.Digest, CancellationToken.None))
                {
                    // As garbage collection does: the row first (now gone), then the bytes.
                    await storage.DeleteAsync(StoragePaths.BlobDirectory(blob.Digest), CancellationToken.None);
                    await metadata.FinishBlobDeletionAsync(blob.Digest, CancellationToken.None);
                    result.Repaired++;
                }
            }
            if (page.Count < PageSize)
            {
                // A full pass: the next run starts from the beginning.
                await metadata.SetProgressAsync(ProgressName, null, cancellationToken);
                progress?.Report(result);
                return result;
            }
            after = page[^1].Digest;
            await metadata.SetProgressAsync(ProgressName, after.ToString(), cancellationToken);
            progress?.Report(result);
        }
    }

    private const string MissingProblem = "missing";

    private async Task<string?> CheckAsync(StoredBlob blob, byte[] buffer, long? bytesPerSecond, Stopwatch clock, ScrubResult result, CancellationToken cancellationToken)
    {
        await using var stream = await storage.OpenReadAsync(StoragePaths.Blob(blob.Digest), 0, cancellationToken);
        if (stream is null)
        {
            return MissingProblem;
        }
        using var hash = IncrementalHash.CreateHash(HashingCopy.AlgorithmFor(blob.Digest.Algorithm));
        long size = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            size += read;
            result.BytesRead += read;
            if (bytesPerSecond is { } rate and > 0)
            {
                // Ahead of the allowed pace: wait until the clock catches up with the bytes read.
                var due = TimeSpan.FromSeconds((double)result.BytesRead / rate);
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed, cancellationToken);
                }
            }
        }
        var actual = Digest.FromHash(blob.Digest.Algorithm, hash.GetCurrentHash());
        if (actual != blob.Digest)
        {
            return $"its bytes hash to {actual}";
        }
        return size != blob.Size ? $"it holds {size} bytes, the metadata says {blob.Size}" : null;
    }
}
