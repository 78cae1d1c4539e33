using System.Globalization;
using Wharf.Configuration;
using Wharf.Gc;

namespace Wharf.Cli;

/// <summary>
/// <c>wharf scrub [--repair]</c>: re-hashes every stored blob and reports those whose bytes are
/// missing or no longer match their digest. Resumes where a stopped run left off.
/// </summary>
public static class ScrubCommand
{
    public const int Clean = 0;
    public const int Failed = 1;
    public const int BadUsage = 2;
    public const int FoundBroken = 3;

    private const string Usage = """
        Usage: wharf scrub [--repair] [--rate <MiB/s>] [--restart] [--config <file.yaml>] [store settings]

        Reads every blob the metadata knows, hashes it, and reports each one whose bytes are
        missing or do not match its digest or size. Reads are paced to --rate (default 100 MiB/s;
        0: no limit) so it can run beside live traffic. A stopped scrub resumes where it stopped;
        --restart starts from the first blob.
        --repair   forget each broken blob (its repository links and row) and delete its bytes, so
                   the next push of it uploads it again. Manifests that reference it stay.
        Exit codes: 0 all blobs sound (or repaired), 1 failed, 2 bad usage or settings,
                    3 broken blobs found and not repaired.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        if (args is ["-h" or "--help", ..])
        {
            await output.WriteLineAsync(Usage);
            return Clean;
        }
        var repair = false;
        var restart = false;
        double rate = 100;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--repair":
                    repair = true;
                    break;
                case "--restart":
                    restart = true;
                    break;
                case "--rate" when i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out rate) && rate >= 0:
                    i++;
                    break;
                case "--rate":
                    await error.WriteLineAsync("wharf scrub: --rate takes a number of MiB/s (0: no limit)");
                    return BadUsage;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }
        if (CliStores.Read([.. rest]) is not { } settings)
        {
            return BadUsage;
        }
        if (settings.Problems.Count > 0)
        {
            await CliConfiguration.WriteProblemsAsync("scrub", settings.Problems, error);
            return BadUsage;
        }
        try
        {
            await using var stores = await CliStores.OpenAsync(settings, cancellationToken);
            var scrubber = new Scrubber(stores.Metadata, stores.Storage);
            var bytesPerSecond = rate > 0 ? (long)(rate * 1024 * 1024) : (long?)null;
            var reported = 0;
            var progress = new Progress(error);
            var result = await scrubber.RunAsync(new ScrubSettings(repair, bytesPerSecond, restart), progress, cancellationToken);
            progress.Done();
            if (result.ResumedAfter is { } after)
            {
                await output.WriteLineAsync($"Resumed after {after} (where the last scrub stopped; --restart to start over)");
            }
            foreach (var digest in result.Missing)
            {
                await output.WriteLineAsync($"missing  {digest}");
                reported++;
            }
            foreach (var (digest, problem) in result.Corrupt)
            {
                await output.WriteLineAsync($"corrupt  {digest}: {problem}");
                reported++;
            }
            await output.WriteLineAsync($"Checked {result.Checked} blobs ({ByteSize.Format(result.BytesRead)} read): {result.Missing.Count} missing, {result.Corrupt.Count} corrupt" +
                (repair ? $", {result.Repaired} repaired (forgotten; the next push uploads them again)" : ""));
            return reported == 0 || repair ? Clean : FoundBroken;
        }
        catch (Exception e) when (CliStores.IsStoreFailure(e))
        {
            await error.WriteLineAsync($"wharf scrub: {Configuration.MetadataStores.Reason(e)}");
            return Failed;
        }
    }

    private sealed class Progress(TextWriter error) : IProgress<ScrubResult>
    {
        private readonly bool _terminal = !Console.IsErrorRedirected && ReferenceEquals(error, Console.Error);

        public void Report(ScrubResult value)
        {
            if (_terminal)
            {
                error.Write($"\rScrubbing: {value.Checked} blobs, {ByteSize.Format(value.BytesRead)} checked");
            }
        }

        public void Done()
        {
            if (_terminal)
            {
                error.WriteLine();
            }
        }
    }
}
