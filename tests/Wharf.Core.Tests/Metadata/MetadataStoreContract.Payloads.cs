using System.Security.Cryptography;
using System.Text;
using Wharf.Distribution;
using Wharf.Metadata;

namespace Wharf.Core.Tests.Metadata;

public abstract partial class MetadataStoreContract
{
    // A manifest's bytes and the record a push makes of them, digest included.
    private static ManifestRecord WithPayload(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return new ManifestRecord(Digest.FromHash(Digest.Sha256, SHA256.HashData(bytes)), MediaTypes.OciManifest, bytes.Length) { Payload = bytes };
    }

    [Fact]
    public async Task PutManifestAsync_SmallPayload_IsReadBackByteForByteByTagAndByDigest()
    {
        var manifest = WithPayload("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[],"n":"payload"}""");

        await PutAsync("payloads/small", manifest, "v1");

        foreach (var read in new[] { await GetByTagAsync("payloads/small", "v1"), await GetByDigestAsync("payloads/small", manifest.Digest) })
        {
            Assert.NotNull(read?.Payload);
            Assert.Equal(manifest.Payload, read.Payload);
            // What is served must still be what the digest names.
            Assert.Equal(manifest.Digest, Digest.FromHash(Digest.Sha256, SHA256.HashData(read.Payload)));
        }
    }

    [Fact]
    public async Task PutManifestAsync_PayloadOverTheLimit_IsLeftToBlobStorage()
    {
        var manifest = WithPayload("{\"schemaVersion\":2,\"annotations\":{\"big\":\"" + new string('x', ManifestRecord.MaxPayloadBytes) + "\"}}");

        await PutAsync("payloads/large", manifest, "v1");

        var read = await GetByTagAsync("payloads/large", "v1");
        Assert.NotNull(read);
        Assert.Equal(manifest.Size, read.Size);
        Assert.Null(read.Payload);
    }

    [Fact]
    public async Task PutManifestAsync_StoredWithoutPayloadThenPushedAgain_KeepsThePayload()
    {
        var manifest = WithPayload("""{"schemaVersion":2,"n":"filled later"}""");
        await PutAsync("payloads/later", manifest with { Payload = null }, "v1");
        Assert.Null((await GetByTagAsync("payloads/later", "v1"))!.Payload);

        await PutAsync("payloads/later", manifest, "v2");

        Assert.Equal(manifest.Payload, (await GetByTagAsync("payloads/later", "v1"))!.Payload);
    }
}
