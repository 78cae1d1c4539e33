namespace Wharf.Configuration;

/// <summary>Where and how blobs and metadata are stored (configuration section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>The data directory: blobs in distribution's layout, plus the SQLite metadata file.
    /// Relative paths are taken from the working directory.</summary>
    public string Root { get; set; } = "data";

    public DeleteOptions Delete { get; set; } = new();

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
    }

    public string DatabaseFile => Path.Combine(Path.GetFullPath(Root), "wharf.db");
}
