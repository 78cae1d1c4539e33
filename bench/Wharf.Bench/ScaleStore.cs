using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Wharf.Distribution;
using Wharf.Manifests;
using Wharf.Metadata;
using Wharf.Storage;

namespace Wharf.Bench;

/// <summary>
/// The shape of a generated store: <see cref="Manifests"/> image manifests in all, of which
/// <see cref="TagRepositoryManifests"/> are in <see cref="ScaleStore.TagRepository"/> and the rest
/// spread evenly over the other repositories. Every manifest has two tags.
/// </summary>
internal sealed record StoreShape(int Manifests, int Repositories, int TagRepositoryManifests)
{
    public int Tags => 2 * Manifests;
    public int TagRepositoryTags => 2 * TagRepositoryManifests;
}

/// <summary>What a generated store holds, and the request paths the load tests pick from.</summary>
internal sealed record GeneratedStore(string Root, StoreShape Shape, TimeSpan FillTime, long ManifestBytes, string TagPaths, string DigestPaths, string BlobPaths)
{
    /// <summary>Built by an earlier run and found in --scale-stores.</summary>
    public bool Reused { get; init; }

    public double AverageManifestBytes => (double)ManifestBytes / Shape.Manifests;
    public double DataMiB => new DirectoryInfo(Root).EnumerateFiles("wharf.db*").Sum(f => f.Length) / (1024.0 * 1024);
}

/// <summary>
/// Builds a large Wharf data root without HTTP, through Wharf's own code: every blob (a small
/// layer per repository, a config per manifest, the manifest's own bytes) is written as a plain
/// file into distribution's layout, and the metadata through <see cref="IMetadataStore"/> as a push
/// would record it (links, then the manifest with its references, tags and bytes). Pushing a
/// million manifests over HTTP would take hours; this takes minutes.
/// </summary>
internal static class ScaleStore
{
    /// <summary>The repository with many tags, for the tags list.</summary>
    public const string TagRepository = "big/monorepo";

    private const string ConfigType = SmallImage.ConfigType;

    public static string RepositoryName(int index) => $"team-{index % 1000}/app-{index / 1000}";

    /// <summary>
    /// Writes the store into <paramref name="root"/>. SQLite is written in a database on
    /// <paramref name="scratch"/> (tmpfs, where a commit's fsync costs nothing: the store commits
    /// once per manifest) and moved into the root at the end; the blob files go straight to the
    /// root, unsynced (a fixture, not data to keep).
    /// </summary>
    public static async Task<GeneratedStore> BuildAsync(string root, string scratch, StoreShape shape, int writers)
    {
        // A store kept from an earlier run (--scale-stores) is reused as it is, if it has the shape
        // asked for: building a million manifests takes a quarter of an hour.
        var built = root + ".built";
        if (File.Exists(built))
        {
            var fields = (await File.ReadAllTextAsync(built)).Split(' ');
            var kept = new StoreShape(int.Parse(fields[0], CultureInfo.InvariantCulture), int.Parse(fields[1], CultureInfo.InvariantCulture), int.Parse(fields[2], CultureInfo.InvariantCulture));
            if (kept == shape)
            {
                Console.WriteLine($"   reusing the store kept in {root}");
                var stored = Path.GetFullPath(root);
                return new GeneratedStore(root, shape, TimeSpan.FromSeconds(double.Parse(fields[3], CultureInfo.InvariantCulture)),
                    long.Parse(fields[4], CultureInfo.InvariantCulture), stored + ".tags", stored + ".digests", stored + ".blobs")
                { Reused = true };
            }
            throw new InvalidOperationException($"{root} holds a store of another shape ({kept}); remove it or choose another directory");
        }
        if (Directory.Exists(root))
        {
            throw new InvalidOperationException($"{root} holds a store that was not finished; remove it");
        }
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(scratch);
        var database = Path.Combine(scratch, "wharf.db");
        var paths = new PathFiles(root);
        long manifestBytes = 0;
        var done = 0;
        using (var store = new SqliteMetadataStore(database))
        {
            // Repository 0 is the tag repository; each of the others gets an even share of the rest.
            var others = shape.Repositories - 1;
            var perRepository = (shape.Manifests - shape.TagRepositoryManifests) / others;
            var remainder = (shape.Manifests - shape.TagRepositoryManifests) % others;
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = writers };
            await Parallel.ForEachAsync(Enumerable.Range(0, shape.Repositories), parallel, async (index, cancellationToken) =>
            {
                var (name, count) = index == 0
                    ? (TagRepository, shape.TagRepositoryManifests)
                    : (RepositoryName(index), perRepository + (index <= remainder ? 1 : 0));
                var bytes = await WriteRepositoryAsync(store, root, name, count, paths, loaded: index != 0, cancellationToken);
                Interlocked.Add(ref manifestBytes, bytes);
                var total = Interlocked.Add(ref done, count);
                if (total / 50_000 != (total - count) / 50_000)
                {
                    Console.WriteLine($"   {total:N0} manifests ({clock.Elapsed.TotalSeconds:F0} s, {total / clock.Elapsed.TotalSeconds:N0}/s)");
                }
            });
        }
        // The store's pools are released on Dispose: the file is closed and its WAL checkpointed.
        foreach (var file in Directory.EnumerateFiles(scratch, "wharf.db*"))
        {
            File.Move(file, Path.Combine(root, Path.GetFileName(file)), overwrite: true);
        }
        paths.Dispose();
        var elapsed = clock.Elapsed;
        await File.WriteAllTextAsync(built, string.Create(CultureInfo.InvariantCulture,
            $"{shape.Manifests} {shape.Repositories} {shape.TagRepositoryManifests} {elapsed.TotalSeconds:F1} {manifestBytes}"));
        return new GeneratedStore(root, shape, elapsed, manifestBytes, paths.Tags, paths.Digests, paths.Blobs);
    }

    /// <summary>One repository: its own small layer, then <paramref name="count"/> images with a
    /// config of their own, each under the tags <c>v&lt;n&gt;</c> and <c>build-&lt;n&gt;</c>.</summary>
    private static async Task<long> WriteRepositoryAsync(SqliteMetadataStore store, string root, string name, int count, PathFiles paths, bool loaded, CancellationToken cancellationToken)
    {
        var repository = Wharf.Distribution.RepositoryName.Parse(name);
        var layerImage = SmallImage.Create(name);
        var layer = WriteBlob(root, layerImage.Layer);
        await store.LinkBlobAsync(repository, layer, layerImage.Layer.Length, cancellationToken);
        var lines = new List<(string Tag, string Digest, string Blob)>(count);
        long manifestBytes = 0;
        for (var n = 0; n < count; n++)
        {
            var config = Encoding.UTF8.GetBytes(
                $$$"""{"architecture":"amd64","os":"linux","created":"2026-01-01T00:00:00Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Labels":{"bench.image":"{{{name}}}:{{{n}}}"}},"rootfs":{"type":"layers","diff_ids":["sha256:{{{Hex(name)}}}"]}}""");
            var configDigest = WriteBlob(root, config);
            var annotations = $$"""{"org.opencontainers.image.created":"2026-01-01T00:00:00Z","org.opencontainers.image.revision":"{{Hex(name + n)[..40]}}","org.opencontainers.image.source":"https://git.example.com/{{name}}"}""";
            var manifest = Encoding.UTF8.GetBytes(
                $$"""{"schemaVersion":2,"mediaType":"{{Registry.OciManifest}}","config":{"mediaType":"{{ConfigType}}","digest":"{{configDigest}}","size":{{config.Length}}},"layers":[{"mediaType":"{{SmallImage.LayerType}}","digest":"{{layer}}","size":{{layerImage.Layer.Length}}}],"annotations":{{annotations}}}""");
            var manifestDigest = WriteBlob(root, manifest);
            manifestBytes += manifest.Length;
            await store.LinkBlobAsync(repository, configDigest, config.Length, cancellationToken);
            var record = new ManifestRecord(manifestDigest, Registry.OciManifest, manifest.Length)
            {
                ArtifactType = ConfigType,
                AnnotationsJson = annotations,
                Payload = manifest,
            };
            await store.PutManifestAsync(repository, record, [(configDigest, ReferenceKind.Config), (layer, ReferenceKind.Layer)],
                [$"v{n}", $"build-{n}"], cancellationToken);
            lines.Add((n % 2 == 0 ? $"v{n}" : $"build-{n}", manifestDigest.ToString(), configDigest.ToString()));
        }
        // The load tests read the ordinary repositories: the tag repository is the tags list's.
        if (loaded)
        {
            paths.Add(name, lines);
        }
        return manifestBytes;
    }

    private static Digest WriteBlob(string root, byte[] bytes)
    {
        var digest = Digest.Parse("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));
        var path = Path.Combine(root, StoragePaths.Blob(digest));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return digest;
    }

    private static string Hex(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    /// <summary>The request paths of every loaded manifest, one a line, for wrk's script and the HEAD loader.</summary>
    private sealed class PathFiles : IDisposable
    {
        private readonly StreamWriter tags, digests, blobs;

        public PathFiles(string root)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(root))!;
            var stem = Path.GetFileName(Path.GetFullPath(root));
            (Tags, Digests, Blobs) = (Path.Combine(dir, stem + ".tags"), Path.Combine(dir, stem + ".digests"), Path.Combine(dir, stem + ".blobs"));
            (tags, digests, blobs) = (new StreamWriter(Tags), new StreamWriter(Digests), new StreamWriter(Blobs));
        }

        public string Tags { get; }
        public string Digests { get; }
        public string Blobs { get; }

        public void Add(string repository, List<(string Tag, string Digest, string Blob)> lines)
        {
            lock (this)
            {
                foreach (var (tag, digest, blob) in lines)
                {
                    tags.WriteLine(string.Create(CultureInfo.InvariantCulture, $"/v2/{repository}/manifests/{tag}"));
                    digests.WriteLine(string.Create(CultureInfo.InvariantCulture, $"/v2/{repository}/manifests/{digest}"));
                    blobs.WriteLine(string.Create(CultureInfo.InvariantCulture, $"/v2/{repository}/blobs/{blob}"));
                }
            }
        }

        public void Dispose()
        {
            tags.Dispose();
            digests.Dispose();
            blobs.Dispose();
        }
    }
}
