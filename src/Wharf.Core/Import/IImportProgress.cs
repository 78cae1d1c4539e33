using Wharf.Distribution;

namespace Wharf.Import;

/// <summary>Hears what an import is doing while it runs, so a long import can show where it is.
/// Calls come from the importing task, one at a time.</summary>
public interface IImportProgress
{
    /// <summary>The walk of <c>repositories/</c> is over; <paramref name="total"/> repositories follow.</summary>
    void RepositoriesFound(int total);

    /// <summary>Inside a repository: <paramref name="done"/> of <paramref name="total"/> items of one
    /// kind ("blobs", "manifests", "tags"). Called per item; a display should throttle itself.</summary>
    void Working(RepositoryName repository, string what, int done, int total);

    /// <summary>A problem, as soon as it is found (it is also in the final report).</summary>
    void Warning(ImportWarning warning);

    /// <summary>Repository <paramref name="index"/> (1-based) of <paramref name="total"/> is done.</summary>
    void RepositoryFinished(int index, int total, RepositoryImportResult result);
}

/// <summary>A progress listener that ignores everything.</summary>
public sealed class NoImportProgress : IImportProgress
{
    public static readonly NoImportProgress Instance = new();

    public void RepositoriesFound(int total)
    {
    }

    public void Working(RepositoryName repository, string what, int done, int total)
    {
    }

    public void Warning(ImportWarning warning)
    {
    }

    public void RepositoryFinished(int index, int total, RepositoryImportResult result)
    {
    }
}
