using System.Runtime.InteropServices;

namespace Wharf.Metadata;

/// <summary>The C library's heap, where SQLite keeps its page caches.</summary>
internal static partial class NativeHeap
{
    /// <summary>Hands the free pages of the C heap back to the operating system. glibc keeps
    /// what SQLite frees for the next allocation (in each thread's arena), so without this a page
    /// cache emptied after a burst stays resident. Does nothing where there is no glibc.</summary>
    public static void Trim()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            // 1 if memory was returned, 0 if there was none to return: nothing to act on either way.
            _ = MallocTrim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // musl (Alpine) has no malloc_trim, and returns freed memory by itself.
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
