using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Wharf.Bench;

/// <summary>What the numbers were taken on: written above the table.</summary>
internal static class Machine
{
    public static async Task<string> DescribeAsync()
    {
        var cpuinfo = File.ReadAllLines("/proc/cpuinfo");
        var model = cpuinfo.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        var sha = cpuinfo.Any(l => l.StartsWith("flags", StringComparison.Ordinal) && l.Split(' ').Contains("sha_ni")) ? "yes" : "no";
        var memKiB = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        var os = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?
            .Split('=', 2)[1].Trim('"') ?? "?";

        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- CPU: {Environment.ProcessorCount} × {model} (SHA instructions, sha_ni: {sha})");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- memory: {memKiB / 1024.0 / 1024.0:0.0} GiB");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- kernel: Linux {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}, {os}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- .NET: {RuntimeInformation.FrameworkDescription} (SDK {await Tool.VersionAsync("dotnet", "--version")})");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- distribution: {await Tool.VersionAsync("/usr/bin/docker-registry", "--version")} (Debian docker-registry)");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- nginx: {await Tool.VersionAsync("nginx", "-v")}; wrk: {await Tool.VersionAsync("wrk", "-v")}; skopeo: {await Tool.VersionAsync("skopeo", "--version")}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        return sb.ToString();
    }

    /// <summary>The 1-, 5- and 15-minute load averages, as uptime shows them.</summary>
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    public static double OneMinuteLoad(string loadAverage) =>
        double.TryParse(loadAverage.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(), CultureInfo.InvariantCulture, out var load) ? load : 0;
}
