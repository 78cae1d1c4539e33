using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Wharf.Storage;

/// <summary>fsync for files and directories (.NET flushes files but has no call for a directory,
/// whose entry must also reach the disk for a rename to survive a crash), and the Linux calls that
/// move a file being written to the disk early (see <see cref="WriteBehind"/>).</summary>
internal static partial class FileSync
{
    public static void Flush(SafeFileHandle handle) => RandomAccess.FlushToDisk(handle);

    /// <summary>fdatasync that reports failure instead of throwing: for flushes ahead of the final
    /// one, which reports any error that remains.</summary>
    public static bool TryFlushData(SafeFileHandle handle) =>
        !OperatingSystem.IsLinux() || OnDescriptor(handle, fd => Fdatasync(fd)) == 0;

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
        if (OperatingSystem.IsLinux())
        {
            _ = OnDescriptor(handle, fd => SyncFileRange(fd, offset, count, SyncFileRangeWrite));
        }
    }

    /// <summary>
    /// Waits until a range handed to <see cref="StartWriteback"/> is on disk, then lets the kernel
    /// drop it from the page cache. A large upload then streams through a few MiB of cache instead
    /// of filling it: it does not push hot manifests and small blobs out of memory, its dirty data
    /// stays bounded (the final fsync is short), and the kernel reuses the pages it just freed for
    /// the next bytes, which is cheaper than taking fresh pages (markedly so in a virtual machine,
    /// where a page's first touch also costs the host).
    /// </summary>
    public static void FinishWriteback(SafeFileHandle handle, long offset, long count)
    {
        if (OperatingSystem.IsLinux())
        {
            _ = OnDescriptor(handle, fd =>
                SyncFileRange(fd, offset, count, SyncFileRangeWaitBefore | SyncFileRangeWrite | SyncFileRangeWaitAfter) == 0
                    ? PosixFadvise(fd, offset, count, PosixFadviseDontNeed)
                    : -1);
        }
    }

    /// <summary>Runs a libc call on the handle's descriptor, which stays open meanwhile even if the
    /// handle is disposed on another thread; -1 when the handle is already closed.</summary>
    private static int OnDescriptor(SafeFileHandle handle, Func<int, int> call)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return handle.IsInvalid ? -1 : call((int)handle.DangerousGetHandle());
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private const uint SyncFileRangeWaitBefore = 1; // SYNC_FILE_RANGE_WAIT_BEFORE
    private const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE
    private const uint SyncFileRangeWaitAfter = 4; // SYNC_FILE_RANGE_WAIT_AFTER
    private const int PosixFadviseDontNeed = 4; // POSIX_FADV_DONTNEED

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(int fd, long offset, long length, int advice);

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
