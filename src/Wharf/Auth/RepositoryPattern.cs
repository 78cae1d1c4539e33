namespace Wharf.Auth;

/// <summary>
/// A repository pattern of an access rule: <c>*</c> matches within one path component,
/// <c>**</c> across components. <c>team/*</c> matches <c>team/app</c> but not <c>team/a/b</c>;
/// <c>team/**</c> matches both; <c>**</c> matches every repository.
/// </summary>
public sealed class RepositoryPattern
{
    private readonly string _pattern;

    public RepositoryPattern(string pattern) => _pattern = pattern.Trim();

    public override string ToString() => _pattern;

    public bool Matches(string repository) => Match(_pattern.AsSpan(), repository.AsSpan());

    private static bool Match(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        while (!pattern.IsEmpty)
        {
            if (pattern.StartsWith("**"))
            {
                var rest = pattern[2..];
                for (var i = 0; i <= text.Length; i++)
                {
                    if (Match(rest, text[i..]))
                    {
                        return true;
                    }
                }
                return false;
            }
            if (pattern[0] == '*')
            {
                var rest = pattern[1..];
                for (var i = 0; i <= text.Length; i++)
                {
                    if (Match(rest, text[i..]))
                    {
                        return true;
                    }
                    if (i < text.Length && text[i] == '/')
                    {
                        return false;
                    }
                }
                return false;
            }
            if (text.IsEmpty || pattern[0] != text[0])
            {
                return false;
            }
            pattern = pattern[1..];
            text = text[1..];
        }
        return text.IsEmpty;
    }
}
