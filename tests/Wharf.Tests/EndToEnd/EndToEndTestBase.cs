using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>What every end-to-end test class needs: the test's output and a scratch directory of its
/// own, removed afterwards.</summary>
public abstract class EndToEndTestBase : IDisposable
{
    protected EndToEndTestBase(ITestOutputHelper output)
    {
        Output = output;
        WorkDir = Path.Combine(Path.GetTempPath(), "wharf-e2e-work-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(WorkDir);
    }

    protected ITestOutputHelper Output { get; }

    protected string WorkDir { get; }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory must not fail the test.
        }
    }
}
