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
        output.WriteLine($"  blobs         {report.DistinctBlobs} distinct, {Bytes(report.DistinctBlobBytes)}; " +
            $"{ImportProgressPrinter.Count(report.BlobLinksImported + report.BlobLinksAlready, "repository link")}: " +
            $"{report.BlobLinksImported} imported, {report.BlobLinksAlready} already imported");
        output.WriteLine(report.InPlace
            ? "  bytes copied  0 (in place)"
            : $"  bytes copied  {Bytes(report.BytesCopied)}");
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

    private static string Bytes(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        if (bytes < 1024)
        {
            return $"{bytes} bytes";
        }
        var value = bytes / 1024.0;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{value:F1} {units[unit]} ({bytes:N0} bytes)");
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
