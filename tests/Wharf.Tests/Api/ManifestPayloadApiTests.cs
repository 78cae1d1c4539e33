using System.Net;
using Wharf.Distribution;
using Wharf.Storage;

namespace Wharf.Tests.Api;

/// <summary>Small manifests kept with their metadata row: a pull that misses the in-memory cache
/// is answered from the metadata store alone, with exactly the bytes that were pushed.</summary>
public sealed class ManifestPayloadApiTests
{
    [Fact]
    public async Task Get_ManifestWhoseBlobFileIsGone_IsServedFromTheMetadataStoreByteForByte()
    {
        using var first = new WharfApiFactory();
        var (json, digest) = await new RegistryClient(first.CreateClient()).PushImageAsync("payload/app", "v1");
        // Blob storage still holds the manifest (the data directory stays distribution's)...
        var file = Path.Combine(first.StorageRoot, StoragePaths.Blob(Digest.Parse(digest)));
        Assert.True(File.Exists(file));
        File.Delete(file);

        // ...but a server that has never seen it (nothing in memory) answers from the store.
        using var second = new WharfApiFactory([("Storage:Root", first.StorageRoot)]);
        using var http = second.CreateClient();
        foreach (var reference in new[] { "v1", digest })
        {
            using var response = await http.GetAsync($"/v2/payload/app/manifests/{reference}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(System.Text.Encoding.UTF8.GetBytes(json), body);
            Assert.Equal(digest, RegistryClient.DigestOf(body));
            Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
        }
    }
}
