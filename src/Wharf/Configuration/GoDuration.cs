using System.Globalization;

namespace Wharf.Configuration;

/// <summary>
/// Durations as distribution's configuration writes them, Go's <c>time.ParseDuration</c> syntax:
/// a sequence of decimal numbers, each with a unit (<c>168h</c>, <c>1h30m</c>, <c>1.5s</c>,
/// <c>300ms</c>), or a bare <c>0</c>. Converted to the TimeSpan text .NET configuration binds
/// (<c>7.00:00:00</c>).
/// </summary>
public static class GoDuration
{
    private const double NanosecondsPerTick = 100;

    // 2^63, exact as a double.
    private const double MaxNanoseconds = 9223372036854775808.0;

    // Longest units first where one is the prefix of another ("ms" before "m").
    private static readonly (string Unit, double Ticks)[] Units =
    [
        ("ns", 1.0 / 100),
        ("us", TimeSpan.TicksPerMicrosecond),
        ("µs", TimeSpan.TicksPerMicrosecond),
        ("μs", TimeSpan.TicksPerMicrosecond),
        ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond),
        ("m", TimeSpan.TicksPerMinute),
        ("h", TimeSpan.TicksPerHour),
    ];

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var rest = text?.Trim() ?? "";
        var negative = false;
        if (rest.StartsWith('-') || rest.StartsWith('+'))
        {
            negative = rest[0] == '-';
            rest = rest[1..];
        }
        if (rest == "0")
        {
            return true;
        }
        if (rest.Length == 0)
        {
            return false;
        }
        double ticks = 0;
        while (rest.Length > 0)
        {
            var numberLength = 0;
            while (numberLength < rest.Length && (char.IsAsciiDigit(rest[numberLength]) || rest[numberLength] == '.'))
            {
                numberLength++;
            }
            if (numberLength == 0 || !double.TryParse(rest.AsSpan(0, numberLength), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }
            rest = rest[numberLength..];
            var unit = Array.FindIndex(Units, u => rest.StartsWith(u.Unit, StringComparison.Ordinal));
            if (unit < 0)
            {
                return false;
            }
            ticks += number * Units[unit].Ticks;
            rest = rest[Units[unit].Unit.Length..];
        }
        // Go's Duration is an int64 of nanoseconds, so time.ParseDuration refuses 2^63 ns (about
        // 292 years) and more. Refusing the same keeps a file meaning what it meant to distribution,
        // and keeps the cast to long ticks below far from overflow.
        if (ticks * NanosecondsPerTick >= MaxNanoseconds)
        {
            return false;
        }
        duration = TimeSpan.FromTicks((long)Math.Round(negative ? -ticks : ticks));
        return true;
    }

    /// <summary>The constant ("c") format, which configuration binding reads back exactly.</summary>
    public static string ToConfigurationValue(TimeSpan duration) => duration.ToString("c", CultureInfo.InvariantCulture);
}
