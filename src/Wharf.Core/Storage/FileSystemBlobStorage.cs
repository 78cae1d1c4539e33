using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;

namespace Wharf.Storage;

/// <summary>Blob storage on a local directory. Objects are plain files, so reads can be sent with
/// zero copies; moves are renames, preceded by an fsync so a committed blob survives a crash.</summary>
public sealed class FileSystemBlobStorage : IBlobStorage
{
    private readonly string _root;

    public FileSystemBlobStorage(string root)
    {
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        Directory.CreateDirectory(_root);
    }

    public string RootDirectory => _root;

    public Task<long?> GetSizeAsync(string path, CancellationToken cancellationToken)
    {
        var info = new FileInfo(Resolve(path));
        return Task.FromResult(info.Exists ? info.Length : (long?)null);
    }

    public Task<Stream?> OpenReadAsync(string path, long offset, CancellationToken cancellationToken)
    {
        try
        {
            var stream = new FileStream(Resolve(path), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
            stream.Position = offset;
            return Task.FromResult<Stream?>(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task<IBlobWriter> OpenAppendWriterAsync(string path, CancellationToken cancellationToken)
    {
        var file = Resolve(path);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                var existed = File.Exists(file);
                var handle = File.OpenHandle(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous);
                return Task.FromResult<IBlobWriter>(new AppendWriter(handle, existed ? null : file));
            }
            catch (DirectoryNotFoundException) when (attempt < 3)
            {
                // A concurrent delete removed an empty parent between our mkdir and open: go again.
            }
        }
    }

    public Task<MoveResult> MoveAsync(string sourcePath, string destinationPath, CancellationToken cancellationToken)
    {
        var source = Resolve(sourcePath);
        var destination = Resolve(destinationPath);
        if (!File.Exists(source))
        {
            return Task.FromResult(MoveResult.SourceMissing);
        }
        if (File.Exists(destination))
        {
            File.Delete(source);
            return Task.FromResult(MoveResult.DestinationExisted);
        }
        // The bytes must be on disk before the name that makes them visible is.
        using (var handle = File.OpenHandle(source, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
        {
            FileSync.Flush(handle);
        }
        var directory = Path.GetDirectoryName(destination)!;
        try
        {
            MoveIntoPlace(source, destination, directory);
        }
        catch (IOException) when (File.Exists(destination))
        {
            // Another upload of the same content won the race; its bytes are the same as ours.
            File.Delete(source);
            return Task.FromResult(MoveResult.DestinationExisted);
        }
        FileSync.FlushDirectory(directory);
        return Task.FromResult(MoveResult.Moved);
    }

    private static void MoveIntoPlace(string source, string destination, string directory)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(directory);
                File.Move(source, destination, overwrite: false);
                return;
            }
            catch (DirectoryNotFoundException) when (attempt < 3 && File.Exists(source))
            {
                // A concurrent delete removed an empty parent between our mkdir and the rename.
            }
        }
    }

    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken)
    {
        var full = Resolve(path);
        bool deleted;
        if (File.Exists(full))
        {
            File.Delete(full);
            deleted = true;
        }
        else if (Directory.Exists(full))
        {
            Directory.Delete(full, recursive: true);
            deleted = true;
        }
        else
        {
            deleted = false;
        }
        RemoveEmptyParents(Path.GetDirectoryName(full)!);
        return Task.FromResult(deleted);
    }

    // rmdir only succeeds on an empty directory, so a directory that another request is filling
    // stays; that request's own creation is retried if it loses the race (OpenAppendWriterAsync).
    private void RemoveEmptyParents(string directory)
    {
        while (directory.Length > _root.Length && directory.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(directory).Any())
                {
                    return;
                }
                Directory.Delete(directory, recursive: false);
            }
            catch (IOException)
            {
                return;
            }
            catch (UnauthorizedAccessException)
            {
                return;
            }
            directory = Path.GetDirectoryName(directory)!;
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var directory = new DirectoryInfo(Resolve(prefix));
        if (!directory.Exists)
        {
            yield break;
        }
        foreach (var entry in directory.EnumerateFileSystemInfos())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry.Name;
        }
        await Task.CompletedTask;
    }

    public string? TryGetLocalFile(string path)
    {
        var full = Resolve(path);
        return File.Exists(full) ? full : null;
    }

    // Paths come from StoragePaths only; this check is the last line of defence should that ever
    // change: nothing may resolve outside the root.
    private string Resolve(string path)
    {
        var full = Path.GetFullPath(Path.Combine(_root, path));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("a storage path escaped the storage root");
        }
        return full;
    }

    private sealed class AppendWriter : IBlobWriter
    {
        private readonly SafeFileHandle _handle;
        private readonly long _committedSize;
        private readonly string? _createdFile;
        private bool _committed;

        private readonly WriteBehind _writeBehind;

        /// <param name="createdFile">The file's path when this writer created it, so that an
        /// uncommitted writer removes it again.</param>
        public AppendWriter(SafeFileHandle handle, string? createdFile)
        {
            _handle = handle;
            _createdFile = createdFile;
            _committedSize = RandomAccess.GetLength(handle);
            Size = _committedSize;
            _writeBehind = new WriteBehind(handle);
        }

        public long Size { get; private set; }

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            await RandomAccess.WriteAsync(_handle, data, Size, cancellationToken);
            var from = Size;
            Size += data.Length;
            _writeBehind.Written(from, Size);
        }

        public Task CommitAsync(CancellationToken cancellationToken)
        {
            _committed = true;
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            if (!_committed && _createdFile is null && Size != _committedSize)
            {
                // A failed or abandoned append: cut the object back to what it was.
                RandomAccess.SetLength(_handle, _committedSize);
            }
            _handle.Dispose();
            if (!_committed && _createdFile is not null)
            {
                // The object did not exist before this writer; it must not exist after it either.
                File.Delete(_createdFile);
            }
            return ValueTask.CompletedTask;
        }
    }
}
