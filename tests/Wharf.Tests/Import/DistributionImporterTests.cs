using Wharf.Distribution;
using Wharf.Import;
using Wharf.Manifests;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Tests.Import;

/// <summary>The importer in process, on distribution trees written by hand, into a real SQLite store.</summary>
[Trait("Category", "Import")]
public sealed class DistributionImporterTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wharf-import-" + Guid.NewGuid().ToString("N"));
    private readonly DistributionTree _tree;
    private readonly FileSystemBlobStorage _storage;
    private readonly SqliteMetadataStore _metadata;

    public DistributionImporterTests()
    {
        Directory.CreateDirectory(_root);
        _tree = new DistributionTree(_root);
        _storage = new FileSystemBlobStorage(_root);
        _metadata = new SqliteMetadataStore(DatabaseFile, new SteppingTime());
    }

    private string DatabaseFile => Path.Combine(_root, "wharf.db");

    public void Dispose()
    {
        _metadata.Dispose();
        Wharf.Tests.Api.SqlitePools.ReleaseUnder(_root);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private Task<ImportReport> ImportAsync(IImportProgress? progress = null, CancellationToken cancellationToken = default) =>
        new DistributionImporter(_storage, _metadata).ImportAsync(progress, cancellationToken);

    private async Task<Digest?> TagTargetAsync(string repository, string tag) =>
        (await _metadata.GetManifestAsync(RepositoryName.Parse(repository), Reference.Parse(tag), default))?.Digest;

    private async Task<IReadOnlyList<string>> CatalogAsync() => (await _metadata.ListRepositoriesAsync(null, null, default)).Items;

    private async Task<IReadOnlyList<string>?> TagsAsync(string repository) =>
        (await _metadata.ListTagsAsync(RepositoryName.Parse(repository), null, null, default))?.Items;

    [Fact]
    public async Task MultiComponentNames_EveryRepositoryFoundIncludingOnesNestedInOthers()
    {
        var solo = _tree.PushImage("solo", "1.0", seed: 1);
        var team = _tree.PushImage("team", "base", seed: 2);
        var app = _tree.PushImage("team/app", "v1", seed: 3);
        var tool = _tree.PushImage("org/group/sub/tool", "latest", seed: 4);

        var report = await ImportAsync();

        Assert.Equal(["org/group/sub/tool", "solo", "team", "team/app"], await CatalogAsync());
        Assert.Equal(solo.Manifest, await TagTargetAsync("solo", "1.0"));
        Assert.Equal(team.Manifest, await TagTargetAsync("team", "base"));
        Assert.Equal(app.Manifest, await TagTargetAsync("team/app", "v1"));
        Assert.Equal(tool.Manifest, await TagTargetAsync("org/group/sub/tool", "latest"));
        Assert.NotNull(await _metadata.GetLinkedBlobSizeAsync(RepositoryName.Parse("org/group/sub/tool"), tool.Layer, default));
        Assert.Null(await _metadata.GetLinkedBlobSizeAsync(RepositoryName.Parse("team"), app.Layer, default));
        Assert.Equal(4, report.Repositories);
        Assert.Equal(4, report.TagsImported);
        Assert.Equal(4, report.ManifestsImported);
        Assert.Equal(8, report.BlobLinksImported);
        Assert.Equal(8, report.DistinctBlobs);
        Assert.Empty(report.Warnings);
        Assert.True(report.InPlace);
    }

    [Fact]
    public async Task Import_Manifests_AreKeptWithTheirRowsByteForByte()
    {
        var image = _tree.PushImage("team/app", "v1", seed: 1);

        await ImportAsync();

        var record = await _metadata.GetManifestAsync(RepositoryName.Parse("team/app"), Reference.Parse("v1"), default);
        Assert.NotNull(record?.Payload);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(_root, StoragePaths.Blob(image.Manifest))), record.Payload);
        Assert.Equal(image.Manifest, Digest.FromHash(Digest.Sha256, System.Security.Cryptography.SHA256.HashData(record.Payload)));
    }

    [Fact]
    public async Task RunTwice_SecondRunChangesNothingAndSaysSo()
    {
        var image = _tree.PushImage("team/app", "v1", seed: 1);
        _tree.Tag("team/app", "latest", image.Manifest);
        var other = _tree.PushImage("team/app", "v2", seed: 2);
        _tree.PushIndex("team/app", "multi", [image, other]);
        _tree.PushImage("solo", "1.0", seed: 3);

        var first = await ImportAsync();
        var afterFirst = MetadataDump.Of(DatabaseFile);
        var second = await ImportAsync();

        // The clock moves on every reading: a single rewritten row would change the dump.
        Assert.Equal(afterFirst, MetadataDump.Of(DatabaseFile));
        Assert.False(first.ChangedNothing);
        Assert.True(second.ChangedNothing);
        Assert.Equal((0, 0, 0), (second.TagsImported, second.ManifestsImported, second.BlobLinksImported));
        Assert.Equal((first.TagsImported, first.ManifestsImported, first.BlobLinksImported),
            (second.TagsAlready, second.ManifestsAlready, second.BlobLinksAlready));
        Assert.Equal((2, 0, 2), (second.Repositories, second.RepositoriesImported, second.RepositoriesAlready));
    }

    [Fact]
    public async Task InterruptedBetweenRepositories_RunningAgainCompletesTheRest()
    {
        var a = _tree.PushImage("a", "v1", seed: 1);
        var b = _tree.PushImage("b", "v1", seed: 2);
        var c = _tree.PushImage("c", "v1", seed: 3);
        using var stop = new CancellationTokenSource();
        var progress = new RecordingProgress { OnEvent = e => { if (e.StartsWith("finished 1/", StringComparison.Ordinal)) stop.Cancel(); } };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ImportAsync(progress, stop.Token));
        Assert.Equal(["a"], await CatalogAsync());

        var report = await ImportAsync();

        Assert.Equal((3, 2, 1), (report.Repositories, report.RepositoriesImported, report.RepositoriesAlready));
        Assert.Equal(a.Manifest, await TagTargetAsync("a", "v1"));
        Assert.Equal(b.Manifest, await TagTargetAsync("b", "v1"));
        Assert.Equal(c.Manifest, await TagTargetAsync("c", "v1"));
    }

    [Fact]
    public async Task InterruptedInsideARepository_RunningAgainCompletesItsTags()
    {
        var image = _tree.PushImage("team/app", "v1", seed: 1);
        var index = _tree.PushIndex("team/app", "multi", [image, _tree.PushImage("team/app", "v2", seed: 2)]);
        using var stop = new CancellationTokenSource();
        // Manifests are all written by the time the first tag is; stop right there.
        var progress = new RecordingProgress { OnEvent = e => { if (e.Contains(" tags 1/", StringComparison.Ordinal)) stop.Cancel(); } };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ImportAsync(progress, stop.Token));
        var manifests = new DirectoryInfo(Path.Combine(_tree.RepositoryPath("team/app"), "_manifests", "revisions", "sha256"))
            .EnumerateDirectories().Select(d => Digest.Parse("sha256:" + d.Name)).ToList();
        Assert.Equal(3, manifests.Count);
        Assert.Empty(await _metadata.FindMissingManifestsAsync(RepositoryName.Parse("team/app"), manifests, default));
        Assert.Empty((await TagsAsync("team/app"))!);

        var report = await ImportAsync();

        Assert.Equal((3, 0, 0), (report.TagsImported, report.ManifestsImported, report.BlobLinksImported));
        Assert.Equal((3, 4), (report.ManifestsAlready, report.BlobLinksAlready));
        Assert.Equal(["multi", "v1", "v2"], await TagsAsync("team/app"));
        Assert.Equal(index, await TagTargetAsync("team/app", "multi"));
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public async Task DanglingBlobLink_ReportedAndEverythingElseImported()
    {
        var image = _tree.PushImage("team/app", "v1", seed: 1);
        var missing = Digest.FromHash(Digest.Sha256, new byte[32]);
        _tree.LinkLayer("team/app", missing);

        var report = await ImportAsync();

        var warning = Assert.Single(report.Warnings);
        Assert.Equal(ImportWarningKind.DanglingBlobLink, warning.Kind);
        Assert.Equal("team/app", warning.Repository);
        Assert.Contains(missing.ToString(), warning.Message, StringComparison.Ordinal);
        Assert.Null(await _metadata.GetLinkedBlobSizeAsync(RepositoryName.Parse("team/app"), missing, default));
        Assert.Equal(image.Manifest, await TagTargetAsync("team/app", "v1"));
        Assert.Equal(2, report.BlobLinksImported);
    }

    [Fact]
    public async Task ManifestWhoseLayerIsMissing_ImportedWithAWarningForEachMissingPiece()
    {
        var image = _tree.PushImage("team/app", "v1", seed: 1);
        File.Delete(_tree.BlobDataPath(image.Layer));

        var report = await ImportAsync();

        Assert.Equal([ImportWarningKind.DanglingBlobLink, ImportWarningKind.MissingReference], report.Warnings.Select(w => w.Kind));
        Assert.Contains(image.Layer.ToString(), report.Warnings[1].Message, StringComparison.Ordinal);
        Assert.Equal(image.Manifest, await TagTargetAsync("team/app", "v1"));
    }

    [Fact]
    public async Task CorruptRevision_ReportedAndItsTagSkipped()
    {
        var good = _tree.PushImage("team/app", "good", seed: 1);
        var bad = _tree.PushImage("team/app", "bad", seed: 2);
        var bytes = File.ReadAllBytes(_tree.BlobDataPath(bad.Manifest));
        bytes[^2] ^= 0x20; // same size, different content
        File.WriteAllBytes(_tree.BlobDataPath(bad.Manifest), bytes);

        var report = await ImportAsync();

        Assert.Equal([ImportWarningKind.CorruptManifest, ImportWarningKind.DanglingTag], report.Warnings.Select(w => w.Kind));
        Assert.All(report.Warnings, w => Assert.Contains(bad.Manifest.ToString(), w.Message, StringComparison.Ordinal));
        Assert.Contains("tag bad", report.Warnings[1].Message, StringComparison.Ordinal);
        Assert.Equal(good.Manifest, await TagTargetAsync("team/app", "good"));
        Assert.Null(await TagTargetAsync("team/app", "bad"));
        Assert.Equal((1, 1, 1, 1), (report.ManifestsImported, report.ManifestsSkipped, report.TagsImported, report.TagsSkipped));
    }

    [Fact]
    public async Task RevisionThatDoesNotParse_Reported()
    {
        var digest = _tree.PushManifest("team/app", "broken", "this is not JSON");
        var incomplete = _tree.PushManifest("team/app", "incomplete", """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}""");

        var report = await ImportAsync();

        Assert.Contains(report.Warnings, w => w.Kind == ImportWarningKind.InvalidManifest && w.Message.Contains(digest.ToString(), StringComparison.Ordinal));
        Assert.Contains(report.Warnings, w => w.Kind == ImportWarningKind.InvalidManifest && w.Message.Contains(incomplete.ToString(), StringComparison.Ordinal));
        Assert.Equal(2, report.Warnings.Count(w => w.Kind == ImportWarningKind.DanglingTag));
        Assert.Equal(0, report.ManifestsImported);
    }

    [Fact]
    public async Task TagPointingAtMissingRevision_Reported()
    {
        var image = _tree.PushImage("team/app", "v1", seed: 1);
        var nowhere = Digest.FromHash(Digest.Sha256, new byte[32]);
        _tree.Tag("team/app", "ghost", nowhere);

        var report = await ImportAsync();

        var warning = Assert.Single(report.Warnings);
        Assert.Equal(ImportWarningKind.DanglingTag, warning.Kind);
        Assert.Contains("tag ghost", warning.Message, StringComparison.Ordinal);
        Assert.Equal(["v1"], await TagsAsync("team/app"));
        Assert.Equal(image.Manifest, await TagTargetAsync("team/app", "v1"));
    }

    [Fact]
    public async Task DeletedManifest_EmptyRevisionDirectoryIgnoredSilently()
    {
        var kept = _tree.PushImage("team/app", "v1", seed: 1);
        var deleted = _tree.PushImage("team/app", null, seed: 2);
        // What distribution 2.8 leaves behind when a manifest is deleted: the directory, no link.
        File.Delete(Path.Combine(_tree.RepositoryPath("team/app"), "_manifests", "revisions", "sha256", deleted.Manifest.Hex, "link"));

        var report = await ImportAsync();

        Assert.Empty(report.Warnings);
        Assert.Equal(1, report.ManifestsImported);
        Assert.Equal(kept.Manifest, await TagTargetAsync("team/app", "v1"));
        Assert.Null(await _metadata.GetManifestAsync(RepositoryName.Parse("team/app"), Reference.FromDigest(deleted.Manifest), default));
    }

    [Fact]
    public async Task Schema1Manifest_SkippedAndReported()
    {
        _tree.PushImage("team/app", "v2", seed: 1);
        var schema1 = _tree.PushManifest("team/app", "old", """
            {"schemaVersion":1,"name":"team/app","tag":"old","architecture":"amd64","fsLayers":[],"history":[]}
            """);

        var report = await ImportAsync();

        Assert.Equal(1, report.Schema1Skipped);
        Assert.Equal([ImportWarningKind.Schema1Skipped, ImportWarningKind.Schema1Skipped], report.Warnings.Select(w => w.Kind));
        Assert.All(report.Warnings, w => Assert.Contains(schema1.ToString(), w.Message, StringComparison.Ordinal));
        Assert.Equal(["v2"], await TagsAsync("team/app"));
    }

    [Fact]
    public async Task ManifestsWithoutMediaType_RecognisedByTheirShape()
    {
        var image = _tree.PushImage("team/app", "plain", seed: 1, mediaType: null);
        var docker = _tree.PushImage("team/app", "docker", seed: 2, mediaType: DistributionTree.DockerManifest);
        var index = _tree.PushIndex("team/app", "index", [image, docker], mediaType: null);

        var report = await ImportAsync();

        Assert.Empty(report.Warnings);
        var repository = RepositoryName.Parse("team/app");
        Assert.Equal(MediaTypes.OciManifest, (await _metadata.GetManifestAsync(repository, Reference.FromDigest(image.Manifest), default))!.MediaType);
        Assert.Equal(MediaTypes.DockerManifest, (await _metadata.GetManifestAsync(repository, Reference.FromDigest(docker.Manifest), default))!.MediaType);
        Assert.Equal(MediaTypes.OciIndex, (await _metadata.GetManifestAsync(repository, Reference.FromDigest(index), default))!.MediaType);
    }

    [Fact]
    public async Task Index_ChildrenWrittenBeforeTheIndexThatListsThem()
    {
        var children = new[] { _tree.PushImage("team/app", null, seed: 1), _tree.PushImage("team/app", null, seed: 2) };
        // An index whose digest sorts before its children's, so that digest order alone would be wrong.
        var firstChild = children.Min(c => c.Manifest.ToString())!;
        var note = 0;
        byte[] bytes;
        while (string.CompareOrdinal(OciLayoutDigest(bytes = DistributionTree.IndexBytes(children, note: $"{note++}")), firstChild) > 0)
        {
        }
        var index = _tree.PushManifest("team/app", "multi", bytes);
        var (store, recorder) = RecordingMetadataStore.Wrap(_metadata);

        var report = await new DistributionImporter(_storage, store).ImportAsync();

        Assert.Empty(report.Warnings);
        Assert.Equal(index, recorder.ManifestsPut[2]);
        Assert.Equal(children.Select(c => c.Manifest).ToHashSet(), recorder.ManifestsPut.Take(2).ToHashSet());
        Assert.Equal(MediaTypes.OciIndex, (await _metadata.GetManifestAsync(RepositoryName.Parse("team/app"), Reference.Parse("multi"), default))!.MediaType);
    }

    private static string OciLayoutDigest(byte[] bytes) => EndToEnd.OciLayout.ComputeDigest(bytes);

    [Fact]
    public async Task TagThatWharfAlreadyPointsElsewhere_WharfsIsKept()
    {
        var image = _tree.PushImage("team/app", "v1", seed: 1);
        var pushedToWharf = _tree.PushImage("team/app", null, seed: 2);
        await new DistributionImporter(_storage, _metadata).ImportAsync();
        var repository = RepositoryName.Parse("team/app");
        var record = (await _metadata.GetManifestAsync(repository, Reference.FromDigest(pushedToWharf.Manifest), default))!;
        await _metadata.PutManifestAsync(repository, record, [(pushedToWharf.Config, ReferenceKind.Config), (pushedToWharf.Layer, ReferenceKind.Layer)], ["v1"], default);

        var report = await ImportAsync();

        var warning = Assert.Single(report.Warnings);
        Assert.Equal(ImportWarningKind.TagConflict, warning.Kind);
        Assert.Equal(pushedToWharf.Manifest, await TagTargetAsync("team/app", "v1"));
        Assert.NotEqual(image.Manifest, pushedToWharf.Manifest);
        Assert.True(report.ChangedNothing);
    }

    [Fact]
    public async Task InvalidDirectoriesAndLinks_ReportedAndSkipped()
    {
        _tree.PushImage("team/app", "v1", seed: 1);
        Directory.CreateDirectory(Path.Combine(_tree.RepositoryPath("Team"), "_layers"));
        var digest = Digest.FromHash(Digest.Sha256, new byte[32]);
        var badLink = Path.Combine(_tree.RepositoryPath("team/app"), "_layers", "sha256", digest.Hex, "link");
        Directory.CreateDirectory(Path.GetDirectoryName(badLink)!);
        File.WriteAllText(badLink, "garbage");
        Directory.CreateDirectory(Path.Combine(_tree.RepositoryPath("team/app"), "_layers", "md5", "abc"));

        var report = await ImportAsync();

        Assert.Equal(3, report.Warnings.Count);
        Assert.All(report.Warnings, w => Assert.Equal(ImportWarningKind.InvalidEntry, w.Kind));
        Assert.Equal(["team/app"], await CatalogAsync());
        Assert.Equal(1, report.TagsImported);
    }

    [Fact]
    public async Task NotADistributionDirectory_Fatal()
    {
        var empty = Path.Combine(_root, "elsewhere");
        Directory.CreateDirectory(Path.Combine(empty, "some", "thing"));

        await Assert.ThrowsAsync<NotADistributionLayoutException>(() =>
            new DistributionImporter(new FileSystemBlobStorage(empty), _metadata).ImportAsync());
    }

    [Fact]
    public async Task IntoAnotherStorageRoot_BlobsCopiedAndVerified()
    {
        var good = _tree.PushImage("team/app", "v1", seed: 1);
        var bad = _tree.PushImage("team/app", "v2", seed: 2);
        var layer = File.ReadAllBytes(_tree.BlobDataPath(bad.Layer));
        layer[0] ^= 1;
        File.WriteAllBytes(_tree.BlobDataPath(bad.Layer), layer);
        var targetRoot = Path.Combine(_root, "target");
        var target = new FileSystemBlobStorage(targetRoot);

        var report = await new DistributionImporter(_storage, _metadata, target).ImportAsync();

        Assert.False(report.InPlace);
        var warnings = report.Warnings.Select(w => w.Kind).ToList();
        Assert.Equal([ImportWarningKind.CorruptBlob, ImportWarningKind.MissingReference], warnings);
        var copied = new DistributionTree(targetRoot);
        foreach (var digest in new[] { good.Manifest, good.Config, good.Layer, bad.Manifest, bad.Config })
        {
            Assert.Equal(File.ReadAllBytes(_tree.BlobDataPath(digest)), File.ReadAllBytes(copied.BlobDataPath(digest)));
        }
        Assert.False(File.Exists(copied.BlobDataPath(bad.Layer)));
        Assert.Equal(report.BytesCopied, new[] { good.Manifest, good.Config, good.Layer, bad.Manifest, bad.Config }.Sum(d => new FileInfo(copied.BlobDataPath(d)).Length));
        // No staging file is left behind (and, once empty, no staging directory either).
        var repositories = Path.Combine(targetRoot, "docker", "registry", "v2", "repositories");
        Assert.False(Directory.Exists(repositories) && Directory.EnumerateFileSystemEntries(repositories, "*", SearchOption.AllDirectories).Any());
    }
}
