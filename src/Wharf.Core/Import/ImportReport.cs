using Wharf.Distribution;

namespace Wharf.Import;

/// <summary>What the import of one repository found and did. "Imported" counts what this run
/// wrote; "already" counts what an earlier run had written, so a second run shows only the latter.</summary>
public sealed class RepositoryImportResult(RepositoryName repository)
{
    public RepositoryName Repository { get; } = repository;

    public int TagsImported { get; internal set; }
    public int TagsAlready { get; internal set; }
    public int TagsSkipped { get; internal set; }

    public int ManifestsImported { get; internal set; }
    public int ManifestsAlready { get; internal set; }
    public int ManifestsSkipped { get; internal set; }
    public int Schema1Skipped { get; internal set; }

    public int BlobsLinked { get; internal set; }
    public int BlobsAlready { get; internal set; }
    public int BlobsSkipped { get; internal set; }

    /// <summary>Bytes copied into another storage root; always 0 for an import in place.</summary>
    public long BytesCopied { get; internal set; }

    public List<ImportWarning> Warnings { get; } = [];

    public TimeSpan Elapsed { get; internal set; }

    /// <summary>The blobs the repository may read, with their sizes (for the registry-wide totals).</summary>
    internal Dictionary<Digest, long> HeldBlobs { get; } = [];

    public int Tags => TagsImported + TagsAlready + TagsSkipped;
    public int Manifests => ManifestsImported + ManifestsAlready + ManifestsSkipped;
    public int Blobs => BlobsLinked + BlobsAlready + BlobsSkipped;

    public bool WroteAnything => TagsImported + ManifestsImported + BlobsLinked > 0;

    public bool WasAlreadyImported => !WroteAnything && TagsAlready + ManifestsAlready + BlobsAlready > 0;
}

/// <summary>The outcome of a whole import: totals over every repository, and every warning.</summary>
public sealed class ImportReport
{
    private readonly HashSet<Digest> _distinctBlobs = [];
    private readonly List<ImportWarning> _warnings = [];

    public ImportReport(bool inPlace) => InPlace = inPlace;

    /// <summary>Whether the blobs stayed where they were (the metadata was written next to them).</summary>
    public bool InPlace { get; }

    public int Repositories { get; private set; }
    public int RepositoriesImported { get; private set; }
    public int RepositoriesAlready { get; private set; }

    public int TagsImported { get; private set; }
    public int TagsAlready { get; private set; }
    public int TagsSkipped { get; private set; }

    public int ManifestsImported { get; private set; }
    public int ManifestsAlready { get; private set; }
    public int ManifestsSkipped { get; private set; }
    public int Schema1Skipped { get; private set; }

    public int BlobLinksImported { get; private set; }
    public int BlobLinksAlready { get; private set; }

    /// <summary>Distinct blobs (layers and configs) the repositories hold, and their total size.</summary>
    public int DistinctBlobs => _distinctBlobs.Count;
    public long DistinctBlobBytes { get; private set; }

    public long BytesCopied { get; private set; }

    public IReadOnlyList<ImportWarning> Warnings => _warnings;

    public TimeSpan Elapsed { get; internal set; }

    /// <summary>True when this run wrote nothing: everything had been imported before.</summary>
    public bool ChangedNothing => TagsImported + ManifestsImported + BlobLinksImported == 0;

    internal void AddWarning(ImportWarning warning) => _warnings.Add(warning);

    internal void Add(RepositoryImportResult result)
    {
        Repositories++;
        if (result.WroteAnything)
        {
            RepositoriesImported++;
        }
        else if (result.WasAlreadyImported)
        {
            RepositoriesAlready++;
        }
        TagsImported += result.TagsImported;
        TagsAlready += result.TagsAlready;
        TagsSkipped += result.TagsSkipped;
        ManifestsImported += result.ManifestsImported;
        ManifestsAlready += result.ManifestsAlready;
        ManifestsSkipped += result.ManifestsSkipped;
        Schema1Skipped += result.Schema1Skipped;
        BlobLinksImported += result.BlobsLinked;
        BlobLinksAlready += result.BlobsAlready;
        BytesCopied += result.BytesCopied;
        foreach (var (digest, size) in result.HeldBlobs)
        {
            if (_distinctBlobs.Add(digest))
            {
                DistinctBlobBytes += size;
            }
        }
        _warnings.AddRange(result.Warnings);
    }
}
