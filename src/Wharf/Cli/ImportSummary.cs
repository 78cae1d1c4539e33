using System.Globalization;
using System.Text;
using Wharf.Import;

namespace Wharf.Cli;

/// <summary>The end of an import's output: totals, then every warning, then what to do next.</summary>
internal static class ImportSummary
{
    // Warnings were printed as they were found; the summary repeats this many, enough to act on.
    private const int MaxListedWarnings = 100;

    public static void Write(TextWriter output, ImportReport report, string storageRoot)
    {
        output.WriteLine($"Import finished in {report.Elapsed.TotalSeconds:F1} s");
        output.WriteLine($"  repositories  {report.Repositories}: {report.RepositoriesImported} imported, {report.RepositoriesAlready} already imported");
        output.WriteLine($"  tags          {report.TagsImported + report.TagsAlready + report.TagsSkipped}: " +
            $"{report.TagsImported} imported, {report.TagsAlready} already imported, {report.TagsSkipped} skipped");
        var schema1 = report.Schema1Skipped > 0 ? $" ({report.Schema1Skipped} schema1)" : "";
        output.WriteLine($"  manifests     {report.ManifestsImported + report.ManifestsAlready + report.ManifestsSkipped}: " +
            $"{report.ManifestsImported} imported, {report.ManifestsAlready} already imported, {report.ManifestsSkipped} skipped{schema1}");
        output.WriteLine($"  blobs         {report.DistinctBlobs} distinct, {ByteSize.Format(report.DistinctBlobBytes, exact: true)}; " +
            $"{ImportProgressPrinter.Count(report.BlobLinksImported + report.BlobLinksAlready, "repository link")}: " +
            $"{report.BlobLinksImported} imported, {report.BlobLinksAlready} already imported");
        output.WriteLine(report.InPlace
            ? "  bytes copied  0 (in place)"
            : $"  bytes copied  {ByteSize.Format(report.BytesCopied, exact: true)}");
        output.WriteLine($"  warnings      {report.Warnings.Count}");
        foreach (var warning in report.Warnings.Take(MaxListedWarnings))
        {
            output.WriteLine($"    [{Words(warning.Kind)}] {warning}");
        }
        if (report.Warnings.Count > MaxListedWarnings)
        {
            output.WriteLine($"    ... and {report.Warnings.Count - MaxListedWarnings} more, printed above as they were found");
        }
        output.WriteLine(report.ChangedNothing
            ? "Nothing changed: everything had already been imported."
            : $"Serve it with: wharf --Storage:Root {storageRoot}");
    }

    // DanglingBlobLink -> "dangling blob link"
    private static string Words(ImportWarningKind kind)
    {
        var name = kind.ToString();
        var text = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append(' ');
            }
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }
}
