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

    /// <summary>A reference with a colon must be a digest; anything else must be a tag.</summary>
    public static Reference Parse(string? value)
    {
        if (value is not null && value.Contains(':', StringComparison.Ordinal))
        {
            return new Reference(null, Distribution.Digest.Parse(value));
        }
        if (!Tag.IsValid(value))
        {
            throw new RegistryException(ErrorCode.ManifestInvalid, $"invalid tag '{InputText.Clip(value)}': a tag matches [a-zA-Z0-9_][a-zA-Z0-9._-]{{0,127}}");
        }
        return new Reference(value, null);
    }

    public static Reference FromDigest(Digest digest) => new(null, digest);
}
