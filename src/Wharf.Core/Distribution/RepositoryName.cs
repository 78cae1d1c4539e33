using System.Diagnostics.CodeAnalysis;

namespace Wharf.Distribution;

/// <summary>
/// A repository name, validated against the distribution spec's grammar:
/// <c>[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*</c>, at most 255
/// characters. Every component starts and ends with [a-z0-9], so no valid name can contain
/// <c>..</c>, an empty component, or anything that escapes the storage root.
/// </summary>
public sealed record RepositoryName
{
    public const int MaxLength = 255;

    private RepositoryName(string value) => Value = value;

    public string Value { get; }

    public override string ToString() => Value;

    public static RepositoryName Parse(string? value) =>
        TryParse(value, out var name)
            ? name
            : throw new RegistryException(ErrorCode.NameInvalid, $"invalid repository name '{InputText.Clip(value)}'");

    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out RepositoryName? name)
    {
        name = null;
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return false;
        }
        foreach (var component in value.Split('/'))
        {
            if (!IsValidComponent(component))
            {
                return false;
            }
        }
        name = new RepositoryName(value);
        return true;
    }

    // A component is alphanumeric runs joined by one separator: '.', '_', '__' or one or more '-'.
    private static bool IsValidComponent(string component)
    {
        if (component.Length == 0 || !IsAlnum(component[0]) || !IsAlnum(component[^1]))
        {
            return false;
        }
        var i = 0;
        while (i < component.Length)
        {
            var c = component[i];
            if (IsAlnum(c))
            {
                i++;
                continue;
            }
            // A separator; the character after it must be alphanumeric (checked by the loop and the
            // end check), and it must be one of the allowed forms.
            if (c == '.')
            {
                i++;
            }
            else if (c == '_')
            {
                i += i + 1 < component.Length && component[i + 1] == '_' ? 2 : 1;
            }
            else if (c == '-')
            {
                while (i < component.Length && component[i] == '-')
                {
                    i++;
                }
            }
            else
            {
                return false;
            }
            if (i >= component.Length || !IsAlnum(component[i]))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsAlnum(char c) => char.IsAsciiDigit(c) || c is >= 'a' and <= 'z';
}
