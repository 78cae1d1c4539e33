namespace Wharf.Distribution;

/// <summary>Quoting client input in error details: long enough to recognise, never unbounded.</summary>
public static class InputText
{
    public const int MaxQuoted = 160;

    public static string Clip(string? value) =>
        value is null ? "" : value.Length <= MaxQuoted ? value : value[..MaxQuoted] + "...";
}
