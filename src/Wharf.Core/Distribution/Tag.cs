namespace Wharf.Distribution;

/// <summary>Tag grammar from the distribution spec: <c>[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}</c>.</summary>
public static class Tag
{
    public const int MaxLength = 128;

    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return false;
        }
        if (!IsWordChar(value[0]))
        {
            return false;
        }
        for (var i = 1; i < value.Length; i++)
        {
            if (!IsWordChar(value[i]) && value[i] is not ('.' or '-'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The tag itself, or TAG_INVALID when it breaks the grammar.</summary>
    public static string Validate(string? value) => IsValid(value) ? value! : throw Invalid(value);

    internal static RegistryException Invalid(string? value) =>
        new(ErrorCode.TagInvalid, $"invalid tag '{InputText.Clip(value)}': a tag matches [a-zA-Z0-9_][a-zA-Z0-9._-]{{0,127}}");

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
