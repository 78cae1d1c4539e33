using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Wharf.Storage;

/// <summary>fsync for files and directories. .NET flushes files but has no call for a directory,
/// whose entry must also reach the disk for a rename to survive a crash.</summary>
internal static partial class FileSync
{
    public static void Flush(SafeFileHandle handle) => RandomAccess.FlushToDisk(handle);

    public static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }
        var fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return;
        }
        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Asks Linux to start writing a range of a file to disk now, without waiting for it. An upload
    /// that kicks this off as it goes finds most of its bytes already on disk when it commits, so
    /// the fsync before the rename is short instead of a second wait for the whole blob.
    /// </summary>
    public static void StartWriteback(SafeFileHandle handle, long offset, long count)
    {
        if (!OperatingSystem.IsLinux() || handle.IsInvalid)
        {
            return;
        }
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            _ = SyncFileRange((int)handle.DangerousGetHandle(), offset, count, SyncFileRangeWrite);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
