namespace Wharf.Tests.Gc;

/// <summary>Where the filesystem storage keeps a blob's bytes (distribution's layout), for tests that
/// check what garbage collection left on disk.</summary>
internal static class StoredBlobFiles
{
    public static string PathOf(string storageRoot, string digest)
    {
        var hex = digest["sha256:".Length..];
        return Path.Combine(BlobsDirectory(storageRoot), hex[..2], hex, "data");
    }

    /// <summary>The digest of every blob file under <paramref name="storageRoot"/>.</summary>
    public static IEnumerable<string> All(string storageRoot)
    {
        var blobs = BlobsDirectory(storageRoot);
        return Directory.Exists(blobs)
            ? Directory.EnumerateFiles(blobs, "data", SearchOption.AllDirectories).Select(f => "sha256:" + Path.GetFileName(Path.GetDirectoryName(f)!))
            : [];
    }

    private static string BlobsDirectory(string storageRoot) => Path.Combine(storageRoot, "docker", "registry", "v2", "blobs", "sha256");
}
