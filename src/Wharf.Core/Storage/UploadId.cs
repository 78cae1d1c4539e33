using System.Diagnostics.CodeAnalysis;

namespace Wharf.Storage;

/// <summary>The id of an upload session: a random UUID in its canonical lowercase form, which is all
/// Wharf ever hands out, so any other text (a path trick included) is simply an unknown upload.</summary>
public readonly record struct UploadId
{
    private UploadId(string value) => Value = value;

    public string Value { get; }

    public override string ToString() => Value;

    public static UploadId New() => new(Guid.NewGuid().ToString("D"));

    public static bool TryParse([NotNullWhen(true)] string? value, out UploadId id)
    {
        id = default;
        if (value is null || value.Length != 36 || !Guid.TryParseExact(value, "D", out var guid))
        {
            return false;
        }
        var canonical = guid.ToString("D");
        if (canonical != value)
        {
            return false;
        }
        id = new UploadId(canonical);
        return true;
    }
}
