namespace Wharf.Distribution;

/// <summary>The <c>&lt;reference&gt;</c> of a manifest URL: a tag or a digest.</summary>
public readonly record struct Reference
{
    private Reference(string? tag, Digest? digest)
    {
        TagName = tag;
        Digest = digest;
    }

    public string? TagName { get; }
    public Digest? Digest { get; }
    public bool IsDigest => Digest is not null;

    public override string ToString() => TagName ?? Digest.ToString()!;

    /// <summary>The reference of a push: a reference with a colon must be a digest (else
    /// DIGEST_INVALID); anything else must be a tag (else TAG_INVALID).</summary>
    public static Reference Parse(string? value) =>
        ParseLookup(value) ?? throw Tag.Invalid(value);

    /// <summary>The reference of a pull or delete. A malformed digest is still DIGEST_INVALID, but
    /// text that is neither a digest nor a tag gives null: such a manifest cannot exist, and the
    /// spec's conformance suite (like CNCF distribution and zot) expects 404 MANIFEST_UNKNOWN.</summary>
    public static Reference? ParseLookup(string? value)
    {
        if (value is not null && value.Contains(':', StringComparison.Ordinal))
        {
            return new Reference(null, Distribution.Digest.Parse(value));
        }
        return Tag.IsValid(value) ? new Reference(value, null) : null;
    }

    public static Reference FromDigest(Digest digest) => new(null, digest);
}
