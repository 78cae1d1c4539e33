namespace Wharf.Distribution;

/// <summary>
/// The <c>Content-Range</c> of a chunk PATCH. The distribution spec writes it <c>&lt;start&gt;-&lt;end&gt;</c>
/// (inclusive, no unit); clients also send the RFC 9110 form <c>bytes start-end/*</c>, so both are read.
/// </summary>
public readonly record struct ContentRange(long Start, long End)
{
    public long Length => End - Start + 1;

    public static bool TryParse(string? value, out ContentRange range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }
        var span = value.AsSpan().Trim();
        if (span.StartsWith("bytes", StringComparison.OrdinalIgnoreCase))
        {
            span = span[5..].TrimStart();
            if (span.Length > 0 && span[0] == '=')
            {
                span = span[1..];
            }
            span = span.TrimStart();
        }
        var slash = span.IndexOf('/');
        if (slash >= 0)
        {
            span = span[..slash];
        }
        var dash = span.IndexOf('-');
        if (dash <= 0
            || !TryParseNumber(span[..dash], out var start)
            || !TryParseNumber(span[(dash + 1)..], out var end)
            || end < start)
        {
            return false;
        }
        range = new ContentRange(start, end);
        return true;
    }

    private static bool TryParseNumber(ReadOnlySpan<char> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > 18)
        {
            return false;
        }
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            value = (value * 10) + (c - '0');
        }
        return true;
    }
}
