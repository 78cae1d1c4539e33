using System.Text;
using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Registry;
using Wharf.Storage;

namespace Wharf.Core.Tests.Registry;

/// <summary>An <see cref="UploadService"/> over real filesystem storage and a real SQLite store,
/// both in a temp directory removed after each test.</summary>
public abstract class UploadServiceTestBase : IDisposable
{
    private readonly TempDirectory _temp = new();

    protected UploadServiceTestBase()
    {
        Storage = new FileSystemBlobStorage(_temp.Combine("storage"));
        Metadata = new SqliteMetadataStore(_temp.Combine("metadata", "wharf.db"));
        Service = NewService();
    }

    protected static RepositoryName Repository { get; } = RepositoryName.Parse("library/app");

    protected static RepositoryName OtherRepository { get; } = RepositoryName.Parse("other/app");

    protected static CancellationToken Ct => CancellationToken.None;

    protected FileSystemBlobStorage Storage { get; }

    protected SqliteMetadataStore Metadata { get; }

    protected UploadService Service { get; }

    /// <summary>Another service on the same storage and metadata: what a restarted process sees.</summary>
    protected UploadService NewService() => new(Storage, Metadata, TimeProvider.System);

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    protected static MemoryStream Body(string text) => new(Bytes(text));

    protected static MemoryStream EmptyBody() => new([]);

    protected static ContentRange Range(long start, long end) => new(start, end);

    protected Task<UploadStatus> AppendChunkAsync(UploadStatus upload, long start, string chunk, UploadService? service = null) =>
        (service ?? Service).AppendAsync(Repository, upload.Id.Value, Body(chunk), Range(start, start + Bytes(chunk).Length - 1), Bytes(chunk).Length, Ct);

    protected Task<CommittedBlob> CompleteAsync(UploadStatus upload, Digest digest, UploadService? service = null) =>
        (service ?? Service).CompleteAsync(Repository, upload.Id.Value, digest, EmptyBody(), null, null, Ct);

    protected string BlobFile(Digest digest) => Path.Combine(Storage.RootDirectory, StoragePaths.Blob(digest));

    protected string UploadDirectory(RepositoryName repository, UploadId id) => Path.Combine(Storage.RootDirectory, StoragePaths.UploadDirectory(repository, id));

    protected string UploadsDirectory(RepositoryName repository) => Path.Combine(Storage.RootDirectory, StoragePaths.Root, "repositories", repository.Value, "_uploads");

    protected long? StoredUploadSize(UploadStatus upload)
    {
        var file = new FileInfo(Path.Combine(Storage.RootDirectory, StoragePaths.UploadData(Repository, upload.Id)));
        return file.Exists ? file.Length : null;
    }

    protected static async Task<RegistryException> AssertRegistryErrorAsync(ErrorCode code, Func<Task> action)
    {
        var error = await Assert.ThrowsAsync<RegistryException>(action);
        Assert.Equal(code, error.Code);
        return error;
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Metadata.Dispose();
            _temp.Dispose();
        }
    }
}
