namespace Wharf.Import;

/// <summary>What an import found wrong in the distribution data. None of these stops an import:
/// the rest of the registry is still adopted, and the operator gets a list of what was left out.</summary>
public enum ImportWarningKind
{
    /// <summary>A directory or link file the layout should not contain: an invalid repository
    /// name or tag, an unsupported digest algorithm, a link that does not hold the digest it should.</summary>
    InvalidEntry,

    /// <summary>A <c>_layers</c> link to a blob whose data is missing.</summary>
    DanglingBlobLink,

    /// <summary>A manifest revision link whose bytes are missing.</summary>
    DanglingRevision,

    /// <summary>A manifest revision whose bytes do not hash to its digest.</summary>
    CorruptManifest,

    /// <summary>A manifest revision that does not parse, or is of a type Wharf does not store.</summary>
    InvalidManifest,

    /// <summary>A Docker schema1 manifest: Wharf does not support them, so it is skipped.</summary>
    Schema1Skipped,

    /// <summary>A manifest that references a blob or child manifest the repository does not hold.
    /// It is imported anyway, so Wharf serves what distribution served.</summary>
    MissingReference,

    /// <summary>A tag pointing at a revision that is missing or was not imported.</summary>
    DanglingTag,

    /// <summary>A tag Wharf already has, pointing at another manifest; Wharf's is kept.</summary>
    TagConflict,

    /// <summary>A blob whose bytes do not hash to its digest (found when copying into another root).</summary>
    CorruptBlob,
}

/// <summary>One problem found by an import; <see cref="Repository"/> is null for the layout as a whole.</summary>
public sealed record ImportWarning(ImportWarningKind Kind, string? Repository, string Message)
{
    public override string ToString() => Repository is null ? Message : $"{Repository}: {Message}";
}
