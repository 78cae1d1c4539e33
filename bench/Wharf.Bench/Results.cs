using System.Globalization;
using System.Text;

namespace Wharf.Bench;

/// <summary>
/// Every sample taken, by row (workload and metric) and by column (Wharf, distribution, the
/// limit); the table shows the median of each cell. Rows keep the order they were first seen in.
/// </summary>
internal sealed class Results
{
    public const string Wharf = "Wharf";
    public const string Distribution = "distribution";
    public const string Limit = "limit";

    private sealed record Row(string Workload, string Metric, string Unit)
    {
        public Dictionary<string, List<double>> Samples { get; } = [];
        public string? LimitName { get; set; }
    }

    private readonly List<Row> rows = [];
    private readonly List<string> errors = [];
    private readonly List<string> notes = [];

    public IReadOnlyList<string> Errors => errors;

    public void Add(string workload, string metric, string unit, string column, double value, string? limitName = null)
    {
        lock (rows)
        {
            var row = rows.Find(r => r.Workload == workload && r.Metric == metric);
            if (row is null)
            {
                row = new Row(workload, metric, unit);
                rows.Add(row);
            }
            if (limitName is not null)
            {
                row.LimitName = limitName;
            }
            if (!row.Samples.TryGetValue(column, out var list))
            {
                row.Samples[column] = list = [];
            }
            list.Add(value);
        }
        Console.WriteLine($"    {column,-12} {workload}: {metric} = {Format(value)} {unit}");
    }

    public void Error(string workload, string column, Exception e)
    {
        var text = $"{workload} / {column}: {e.GetType().Name}: {e.Message}";
        lock (rows)
        {
            errors.Add(text);
        }
        Console.WriteLine($"    ERROR {text}");
    }

    /// <summary>Something the reader needs to interpret a number (a server quirk, a substitution).</summary>
    public void Note(string text)
    {
        lock (rows)
        {
            if (!notes.Contains(text))
            {
                notes.Add(text);
            }
        }
    }

    /// <summary>The table; <paramref name="limitHeader"/> names the third column (what Wharf is held against).</summary>
    public string Table(string limitHeader = "limit")
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"| workload | metric | unit | Wharf | distribution | Wharf / distribution | {limitHeader} | Wharf / {limitHeader} | samples |");
        sb.AppendLine("|---|---|---|--:|--:|--:|--:|--:|--:|");
        foreach (var row in rows)
        {
            var wharf = Median(row, Wharf);
            var distribution = Median(row, Distribution);
            var limit = Median(row, Limit);
            var samples = row.Samples.TryGetValue(Wharf, out var w) ? w.Count : 0;
            sb.Append(CultureInfo.InvariantCulture,
                $"| {row.Workload} | {row.Metric} | {row.Unit} | {Cell(wharf)} | {Cell(distribution)} | {Ratio(wharf, distribution)} | ");
            sb.Append(limit is null ? "" : $"{Cell(limit)} ({row.LimitName})");
            sb.AppendLine(CultureInfo.InvariantCulture, $" | {Ratio(wharf, limit)} | {samples} |");
        }
        return sb.ToString();
    }

    public string Notes()
    {
        var sb = new StringBuilder();
        foreach (var note in notes)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
        }
        foreach (var error in errors)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"- **error**: {error}");
        }
        return sb.ToString();
    }

    /// <summary>The median of one cell, or null when it has no samples.</summary>
    public double? Median(string workload, string metric, string column)
    {
        lock (rows)
        {
            var row = rows.Find(r => r.Workload == workload && r.Metric == metric);
            return row is null ? null : Median(row, column);
        }
    }

    private static double? Median(Row row, string column)
    {
        if (!row.Samples.TryGetValue(column, out var list) || list.Count == 0)
        {
            return null;
        }
        var sorted = list.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string Cell(double? value) => value is { } v ? Format(v) : "–";

    /// <summary>Two decimals, or two significant digits for small ratios (0.0024, not 0.00).</summary>
    private static string Ratio(double? a, double? b) =>
        a is { } x && b is { } y && y != 0
            ? (x / y).ToString(x / y >= 0.1 ? "0.00" : "G2", CultureInfo.InvariantCulture)
            : "";

    public static string Format(double value) => Math.Abs(value) switch
    {
        >= 1000 => value.ToString("#,0", CultureInfo.InvariantCulture),
        >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0.00", CultureInfo.InvariantCulture),
    };
}
