using Wharf.Distribution;
using Wharf.Import;

namespace Wharf.Cli;

/// <summary>Shows an import as it runs: a line per repository, a line per warning, and inside a
/// large repository a line every few seconds, so a long import never looks stuck.</summary>
internal sealed class ImportProgressPrinter(TextWriter output, TimeProvider time) : IImportProgress
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private DateTimeOffset _lastLine = time.GetUtcNow();

    public int RepositoriesDone { get; private set; }
    public int RepositoriesTotal { get; private set; }

    public void RepositoriesFound(int total)
    {
        RepositoriesTotal = total;
        Write($"Found {Count(total, "repository", "repositories")}");
    }

    public void Working(RepositoryName repository, string what, int done, int total)
    {
        if (time.GetUtcNow() - _lastLine >= Interval)
        {
            Write($"[{RepositoriesDone + 1}/{RepositoriesTotal}] {repository}: {what} {done}/{total} ...");
        }
    }

    public void Warning(ImportWarning warning) => Write($"  warning: {warning}");

    public void RepositoryFinished(int index, int total, RepositoryImportResult result)
    {
        RepositoriesDone = index;
        var found = $"{Count(result.Tags, "tag")}, {Count(result.Manifests, "manifest")}, {Count(result.Blobs, "blob")}";
        var outcome = result.WroteAnything
            ? $"imported {Count(result.TagsImported, "tag")}, {Count(result.ManifestsImported, "manifest")}, {Count(result.BlobsLinked, "blob link")}"
            : result.WasAlreadyImported ? "already imported" : "nothing to import";
        var warnings = result.Warnings.Count > 0 ? $"; {Count(result.Warnings.Count, "warning")}" : "";
        Write($"[{index}/{total}] {result.Repository}: {found}; {outcome}{warnings} ({result.Elapsed.TotalSeconds:F1} s)");
    }

    private void Write(string line)
    {
        output.WriteLine(line);
        _lastLine = time.GetUtcNow();
    }

    internal static string Count(long n, string one, string? many = null) => $"{n} {(n == 1 ? one : many ?? one + "s")}";
}
