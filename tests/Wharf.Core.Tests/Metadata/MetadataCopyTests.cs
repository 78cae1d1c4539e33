using Wharf.Core.Tests.TestSupport;
using Wharf.Distribution;
using Wharf.Manifests;
using Wharf.Metadata;

namespace Wharf.Core.Tests.Metadata;

/// <summary><see cref="MetadataCopy"/> between two SQLite files (the PostgreSQL target runs the same
/// code through the same interface, and is tested with that store).</summary>
public sealed class MetadataCopyTests : IDisposable
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly RepositoryName App = RepositoryName.Parse("team/app");
    private static readonly RepositoryName Other = RepositoryName.Parse("team/other");
    private readonly TempDirectory _temp = new();
    private readonly SqliteMetadataStore _source;
    private readonly SqliteMetadataStore _target;

    public MetadataCopyTests()
    {
        _source = new SqliteMetadataStore(_temp.Combine("source.db"));
        _target = new SqliteMetadataStore(_temp.Combine("target.db"));
    }

    [Fact]
    public async Task CopyAsync_Registry_TargetAnswersEverythingAsSource()
    {
        var (image, index, referrer) = await FillSourceAsync();

        var result = await MetadataCopy.CopyAsync(_source, _target, null, Ct);

        Assert.True(result.Verified, $"source {result.Source}, target {result.Target}");
        Assert.Equal((2, 3, 3, 3), (result.Repositories, result.Links, result.Manifests, result.Tags));
        Assert.Equal(image, await _target.GetManifestAsync(App, Reference.Parse("v1"), Ct));
        Assert.Equal(image, await _target.GetManifestAsync(App, Reference.Parse("latest"), Ct));
        Assert.Equal(index, await _target.GetManifestAsync(App, Reference.Parse("multi"), Ct));
        Assert.Equal([referrer], await _target.ListReferrersAsync(App, image.Digest, null, Ct));
        Assert.Equal(10, await _target.GetLinkedBlobSizeAsync(App, Blob("layer"), Ct));
        Assert.Equal(5, await _target.GetLinkedBlobSizeAsync(Other, Blob("other"), Ct));
        Assert.Null(await _target.GetLinkedBlobSizeAsync(Other, Blob("layer"), Ct));
        Assert.Equal(["latest", "multi", "v1"], (await _target.ListTagsAsync(App, null, null, Ct))!.Items);
        Assert.Equal(["team/app", "team/other"], (await _target.ListRepositoriesAsync(null, null, Ct)).Items);
    }

    [Fact]
    public async Task CopyAsync_RunTwice_ChangesNothingTheSecondTime()
    {
        await FillSourceAsync();
        await MetadataCopy.CopyAsync(_source, _target, null, Ct);

        var again = await MetadataCopy.CopyAsync(_source, _target, null, Ct);

        Assert.True(again.Verified);
        Assert.Equal(again.Source with { Blobs = 0 }, again.Target with { Blobs = 0 });
    }

    [Fact]
    public async Task CopyAsync_TargetHoldingOtherContent_IsNotVerified()
    {
        await FillSourceAsync();
        await _target.LinkBlobAsync(RepositoryName.Parse("elsewhere/app"), Blob("x"), 1, Ct);

        var result = await MetadataCopy.CopyAsync(_source, _target, null, Ct);

        Assert.False(result.Verified);
    }

    [Fact]
    public async Task CopyAsync_ReportsEachRepositoryAsCopied()
    {
        await FillSourceAsync();
        var copied = new List<string>();

        await MetadataCopy.CopyAsync(_source, _target, r => copied.Add(r.Repository.Value), Ct);

        Assert.Equal(["team/app", "team/other"], copied);
    }

    [Fact]
    public async Task CopyAsync_FromSourceOpenedReadOnly_CopiesWithoutWritingToIt()
    {
        await FillSourceAsync();
        var sourceFile = _temp.Combine("source.db");
        _source.Dispose();
        SqliteMetadataStore.ReleaseConnections(sourceFile);
        var before = await File.ReadAllBytesAsync(sourceFile);

        using (var readOnly = SqliteMetadataStore.OpenReadOnly(sourceFile))
        {
            Assert.True((await MetadataCopy.CopyAsync(readOnly, _target, null, Ct)).Verified);
        }

        SqliteMetadataStore.ReleaseConnections(sourceFile);
        Assert.Equal(before, await File.ReadAllBytesAsync(sourceFile));
    }

    [Fact]
    public void OpenReadOnly_NotAWharfDatabase_IsRefused()
    {
        var other = _temp.Combine("other.db");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={other}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE notes (text TEXT)";
            command.ExecuteNonQuery();
        }

        Assert.Throws<InvalidDataException>(() => SqliteMetadataStore.OpenReadOnly(other));
    }

    private static Digest Blob(string seed) => TestDigests.Sha256Of("blob:" + seed);

    private async Task<(ManifestRecord Image, ManifestRecord Index, ManifestRecord Referrer)> FillSourceAsync()
    {
        await _source.LinkBlobAsync(App, Blob("config"), 3, Ct);
        await _source.LinkBlobAsync(App, Blob("layer"), 10, Ct);
        await _source.LinkBlobAsync(Other, Blob("other"), 5, Ct);
        var image = new ManifestRecord(TestDigests.Sha256Of("image"), MediaTypes.OciManifest, 300) { AnnotationsJson = "{\"a\":\"b\"}" };
        await _source.PutManifestAsync(App, image, [(Blob("config"), ReferenceKind.Config), (Blob("layer"), ReferenceKind.Layer)], ["v1", "latest"], Ct);
        var index = new ManifestRecord(TestDigests.Sha256Of("index"), MediaTypes.OciIndex, 200);
        await _source.PutManifestAsync(App, index, [(image.Digest, ReferenceKind.Manifest)], ["multi"], Ct);
        var referrer = new ManifestRecord(TestDigests.Sha256Of("signature"), MediaTypes.OciManifest, 100) { Subject = image.Digest, ArtifactType = "application/example.sig" };
        await _source.PutManifestAsync(App, referrer, [(image.Digest, ReferenceKind.Subject)], [], Ct);
        return (image, index, referrer);
    }

    public void Dispose()
    {
        _source.Dispose();
        _target.Dispose();
        _temp.Dispose();
    }
}
