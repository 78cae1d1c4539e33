using System.Globalization;

namespace Wharf.Storage.S3;

/// <summary>
/// Maps storage paths to keys. A path's object is the key <c>&lt;prefix&gt;&lt;path&gt;</c>, exactly
/// where distribution's S3 driver puts it. An object grown by appends is kept, until it is moved
/// into place, as segments beside it:
/// <code>
/// &lt;prefix&gt;docker/registry/v2/repositories/team/app/_uploads/&lt;id&gt;/data~segments/
///   00000000000000000000   bytes 0 .. 8388607
///   00000000000008388608   bytes 8388608 .. the end
/// </code>
/// '~' appears in no name Wharf builds (repository names, digests, upload ids), so a segment
/// directory can never be taken for a repository or an object.
/// </summary>
internal sealed class S3KeyLayout
{
    public const string SegmentsSuffix = "~segments";
    private const int OffsetDigits = 20;

    private readonly string _prefix;

    public S3KeyLayout(string? prefix)
    {
        var trimmed = prefix?.Trim('/') ?? "";
        _prefix = trimmed.Length == 0 ? "" : trimmed + "/";
    }

    public string Object(string path) => _prefix + Checked(path);

    /// <summary>What every key of this storage begins with ("" without a prefix).</summary>
    public string Prefix => _prefix;

    /// <summary>The prefix every key of this object's segments begins with.</summary>
    public string Segments(string path) => Object(path) + SegmentsSuffix + "/";

    /// <summary>Zero-padded offsets sort in the order of the bytes they hold.</summary>
    public string Segment(string path, long start) => Segments(path) + start.ToString("D" + OffsetDigits, CultureInfo.InvariantCulture);

    /// <summary>The prefix of everything stored under a path taken as a directory.</summary>
    public string Children(string path) => Object(path) + "/";

    /// <summary>The start offset a segment key names; false for any other key.</summary>
    public static bool TryParseSegmentStart(string key, string segmentsPrefix, out long start)
    {
        start = 0;
        var name = key.AsSpan(segmentsPrefix.Length);
        return key.StartsWith(segmentsPrefix, StringComparison.Ordinal)
            && name.Length == OffsetDigits
            && long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out start);
    }

    public static bool IsValidPrefix(string prefix) =>
        prefix.Trim('/').Length == 0 || prefix.Trim('/').Split('/').All(IsValidName);

    // Paths come from StoragePaths only; this is the last line of defence should that change. A key
    // cannot escape a bucket, but an empty or dotted part, or a name of our own segment
    // directories, would make two paths share keys.
    private static string Checked(string path)
    {
        if (path.Length == 0 || !path.Split('/').All(IsValidName))
        {
            throw new InvalidOperationException($"'{path}' is not a storage path");
        }
        return path;
    }

    private static bool IsValidName(string name) =>
        name.Length > 0 && name is not ("." or "..") && !name.EndsWith(SegmentsSuffix, StringComparison.Ordinal);
}
