using System.Globalization;

namespace Wharf.Cli;

/// <summary>Byte counts as the CLI verbs print them: "17.1 MiB", with the exact count when asked.</summary>
internal static class ByteSize
{
    public static string Format(long bytes, bool exact = false)
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
        return exact
            ? string.Create(CultureInfo.InvariantCulture, $"{value:F1} {units[unit]} ({bytes:N0} bytes)")
            : string.Create(CultureInfo.InvariantCulture, $"{value:F1} {units[unit]}");
    }
}
