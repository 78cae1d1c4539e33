using System.Net;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Storage;
using Wharf.Tests.Api;

namespace Wharf.Tests.Limits;

/// <summary>A write that fails for lack of space: 507 with the spec's JSON, and nothing stored.
/// The failure is a real ENOSPC: the storage's writers write to /dev/full.</summary>
public sealed class StorageFullTests : IDisposable
{
    private readonly WharfApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task MonolithicUpload_DiskFull_Answers507AndStoresNothing()
    {
        using var full = _factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddSingleton<IBlobStorage>(new FullDiskStorage(new FileSystemBlobStorage(_factory.StorageRoot)))));
        var registry = new RegistryClient(full.CreateClient());
        var bytes = "bytes that do not fit"u8.ToArray();
        var digest = RegistryClient.DigestOf(bytes);

        using var response = await registry.Http.PostAsync($"/v2/full/app/blobs/uploads/?digest={digest}", new ByteArrayContent(bytes));

        Assert.Equal(HttpStatusCode.InsufficientStorage, response.StatusCode);
        Assert.Contains("storage is full", await response.Content.ReadAsStringAsync());
        Assert.Equal("UNKNOWN", await RegistryClient.ErrorCodeAsync(response));
        using var head = await registry.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/full/app/blobs/{digest}"));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.False(File.Exists(Path.Combine(_factory.StorageRoot, "docker/registry/v2/blobs/sha256", digest[7..9], digest[7..], "data")));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task ManifestPush_DatabaseDiskFull_Answers507AndTagsNothing(string database)
    {
        var registry = new RegistryClient(_factory.CreateClient());
        var (json, _) = await registry.PushImageAsync("full/db", "v1");
        // The database's own verdict, as its driver raises it: SQLITE_FULL (13), PostgreSQL disk_full (53100).
        Exception full = database == "sqlite"
            ? new Microsoft.Data.Sqlite.SqliteException("database or disk is full", 13)
            : new Npgsql.PostgresException("could not extend file: No space left on device", "ERROR", "ERROR", "53100");
        using var failing = _factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddSingleton(FullDatabase.Wrap(_factory.Services.GetRequiredService<Metadata.IMetadataStore>(), full))));
        var client = new RegistryClient(failing.CreateClient());

        using var response = await client.PutManifestAsync("full/db", "v2", json, Wharf.Tests.Api.Manifests.OciManifestType);

        Assert.Equal(HttpStatusCode.InsufficientStorage, response.StatusCode);
        Assert.Contains("storage is full", await response.Content.ReadAsStringAsync());
        using var tag = await registry.Http.GetAsync("/v2/full/db/manifests/v2");
        Assert.Equal(HttpStatusCode.NotFound, tag.StatusCode);
    }

    /// <summary>A metadata store whose manifest writes fail as a full database's do.</summary>
    public class FullDatabase : System.Reflection.DispatchProxy
    {
        private Metadata.IMetadataStore _inner = null!;
        private Exception _full = null!;

        public static Metadata.IMetadataStore Wrap(Metadata.IMetadataStore inner, Exception full)
        {
            var proxy = Create<Metadata.IMetadataStore, FullDatabase>();
            ((FullDatabase)(object)proxy)._inner = inner;
            ((FullDatabase)(object)proxy)._full = full;
            return proxy;
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args) =>
            targetMethod!.Name == nameof(Metadata.IMetadataStore.PutManifestAsync)
                ? Task.FromException(_full)
                : targetMethod.Invoke(_inner, args);
    }

    private sealed class FullDiskStorage(IBlobStorage inner) : IBlobStorage
    {
        public Task<long?> GetSizeAsync(string path, CancellationToken cancellationToken) => inner.GetSizeAsync(path, cancellationToken);

        public Task<Stream?> OpenReadAsync(string path, long offset, CancellationToken cancellationToken) => inner.OpenReadAsync(path, offset, cancellationToken);

        public Task<IBlobWriter> OpenAppendWriterAsync(string path, CancellationToken cancellationToken) => Task.FromResult<IBlobWriter>(new FullWriter());

        public Task<MoveResult> MoveAsync(string sourcePath, string destinationPath, CancellationToken cancellationToken) => inner.MoveAsync(sourcePath, destinationPath, cancellationToken);

        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken) => inner.DeleteAsync(path, cancellationToken);

        public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public string? TryGetLocalFile(string path) => inner.TryGetLocalFile(path);
    }

    private sealed class FullWriter : IBlobWriter
    {
        private readonly FileStream _devFull = new("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);

        public long Size { get; private set; }

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            await _devFull.WriteAsync(data, cancellationToken);
            Size += data.Length;
        }

        public async Task CommitAsync(CancellationToken cancellationToken) => await _devFull.FlushAsync(cancellationToken);

        public ValueTask DisposeAsync() => _devFull.DisposeAsync();
    }
}
