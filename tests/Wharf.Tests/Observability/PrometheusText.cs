using System.Globalization;
using System.Text.RegularExpressions;

namespace Wharf.Tests.Observability;

/// <summary>Reads samples out of a Prometheus text exposition, for asserting on scraped metrics.</summary>
internal static partial class PrometheusText
{
    /// <summary>The sum of every sample of <paramref name="name"/> whose labels include all of
    /// <paramref name="labels"/>; 0 when there is none (a counter not yet moved is not exported).</summary>
    public static double Sum(string exposition, string name, params (string Key, string Value)[] labels)
    {
        var total = 0.0;
        foreach (var line in exposition.Split('\n'))
        {
            var match = Sample().Match(line);
            if (!match.Success || match.Groups["name"].Value != name)
            {
                continue;
            }
            var present = Label().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            if (labels.All(l => present.TryGetValue(l.Key, out var value) && value == l.Value))
            {
                total += double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }
        return total;
    }

    /// <summary>Whether the exposition declares the metric (a <c># TYPE</c> line).</summary>
    public static bool Declares(string exposition, string name) =>
        exposition.Split('\n').Any(line => line.StartsWith($"# TYPE {name} ", StringComparison.Ordinal));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)")]
    private static partial Regex Sample();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex Label();
}
