namespace Wharf.Server;

/// <summary>
/// What a configured header must be before Wharf puts it on the wire: the response headers
/// (<c>Http:Headers</c>) and each notification endpoint's request headers are checked by this one
/// code, so both refuse the same things at start instead of failing at the first response or delivery.
/// </summary>
internal static class HeaderRules
{
    /// <summary>Every problem with <paramref name="headers"/>, each named under
    /// <paramref name="settingPrefix"/> (e.g. <c>Http:Headers</c>).</summary>
    public static IEnumerable<string> Problems(string settingPrefix, IDictionary<string, List<string>> headers)
    {
        foreach (var (name, values) in headers)
        {
            // RFC 9110 5.1: a field name is a token.
            if (name.Length == 0 || !name.All(IsTokenChar))
            {
                yield return $"{settingPrefix}: '{name}' is not a header name";
            }
            for (var i = 0; i < values.Count; i++)
            {
                // Binding leaves a null where a setting has a key and no value; the header writer
                // would fail on it with every response, so it is named here instead.
                if (values[i] is not { } value)
                {
                    yield return $"{settingPrefix}:{name}:{i}: a value is required";
                }
                // RFC 9110 5.5: no CR, LF or NUL in a field value (they would split or end the header).
                else if (value.Any(c => c is '\r' or '\n' or '\0'))
                {
                    yield return $"{settingPrefix}:{name}: a value must not contain CR, LF or NUL";
                }
            }
        }
    }

    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);
}
