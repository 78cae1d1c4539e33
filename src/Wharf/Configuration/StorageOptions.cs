using Wharf.Storage.S3;

namespace Wharf.Configuration;

/// <summary>Where and how blobs and metadata are stored (configuration section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public const string FileSystemProvider = "filesystem";
    public const string S3Provider = "s3";

    /// <summary>Where blob bytes live: <c>filesystem</c> (under <see cref="Root"/>) or <c>s3</c> (the
    /// bucket of <see cref="S3"/>).</summary>
    public string Provider { get; set; } = FileSystemProvider;

    /// <summary>The data directory: blobs in distribution's layout (with the filesystem provider),
    /// plus the SQLite metadata file. Relative paths are taken from the working directory.</summary>
    public string Root { get; set; } = "data";

    public S3StorageOptions S3 { get; set; } = new();

    public bool UsesS3 => string.Equals(Provider, S3Provider, StringComparison.OrdinalIgnoreCase);

    public DeleteOptions Delete { get; set; } = new();

    /// <summary>Refuse every write (maintenance): pushes and deletes answer 405 UNSUPPORTED, pulls go on.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>With the filesystem provider, <c>/readyz</c> reports not ready while the disk under
    /// <see cref="Root"/> has less free space than this; 0 (the default): not checked.</summary>
    public long MinFreeBytes { get; set; }

    public sealed class DeleteOptions
    {
        /// <summary>Whether clients may delete manifests, tags and blob links.</summary>
        public bool Enabled { get; set; } = true;
    }

    /// <summary>Every problem with these settings, so start-up can report them all at once.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Root))
        {
            yield return "Storage:Root must name a directory";
        }
        else if (Root.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            yield return $"Storage:Root '{Root}' is not a valid path";
        }
        if (MinFreeBytes < 0)
        {
            yield return "Storage:MinFreeBytes must not be negative";
        }
        if (UsesS3)
        {
            foreach (var problem in S3.Validate())
            {
                yield return problem;
            }
        }
        else if (!string.Equals(Provider, FileSystemProvider, StringComparison.OrdinalIgnoreCase))
        {
            yield return $"Storage:Provider '{Provider}' must be {FileSystemProvider} or {S3Provider}";
        }
    }

    public string DatabaseFile => Path.Combine(Path.GetFullPath(Root), "wharf.db");
}
