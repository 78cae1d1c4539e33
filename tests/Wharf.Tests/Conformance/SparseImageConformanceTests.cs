using System.Net;
using Wharf.Tests.Api;

namespace Wharf.Tests.Conformance;

/// <summary>
/// The conformance suite's "sparse" data shape: an image manifest with a layer that was never
/// uploaded, as mirror tools push when they skip non-distributable layers. Refused by default
/// (MANIFEST_BLOB_UNKNOWN); accepted with <c>Manifests:RequireBlobs=false</c>, the config still required.
/// </summary>
[Trait("Category", "Conformance")]
[Trait("Section", "Push")]
public sealed class SparseImageConformanceTests : ConformanceTestBase, IClassFixture<SparseImagesAllowedRegistry>
{
    private readonly RegistryClient _sparse;

    public SparseImageConformanceTests(WharfApiFactory factory, SparseImagesAllowedRegistry sparse)
        : base(factory) => _sparse = new RegistryClient(sparse.Factory.CreateClient());

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests [default]: an image manifest whose layer is not in the repository is refused with 400 MANIFEST_BLOB_UNKNOWN")]
    public async Task SparseImage_ByDefault_Returns400ManifestBlobUnknown()
    {
        var repository = NewRepository();
        var (json, _) = await SparseManifestAsync(Registry, repository);

        using var put = await PutManifestAsync(repository, "sparse", json);

        await SpecErrors.AssertAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests [RequireBlobs=false]: an image manifest with a missing layer is stored; pulling the missing layer answers 404 BLOB_UNKNOWN")]
    public async Task SparseImage_WhenBlobsNotRequired_IsStoredAndMissingLayerIs404()
    {
        var repository = NewRepository();
        var (json, missingLayer) = await SparseManifestAsync(_sparse, repository);

        using var put = await _sparse.PutManifestAsync(repository, "sparse", json, OciTypes.ImageManifest);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var pulled = await _sparse.Http.GetAsync($"/v2/{repository}/manifests/sparse");
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(Bytes(json), await pulled.Content.ReadAsByteArrayAsync());
        using var layer = await _sparse.Http.GetAsync($"/v2/{repository}/blobs/{missingLayer}");
        await SpecErrors.AssertAsync(layer, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    [Trait("Requirement", "Push / Pushing manifests [RequireBlobs=false]: the config blob is still required (400 MANIFEST_BLOB_UNKNOWN)")]
    public async Task SparseImage_WhenBlobsNotRequiredButConfigMissing_Returns400ManifestBlobUnknown()
    {
        var repository = NewRepository();
        var layer = RandomBytes(32);
        var layerDigest = await _sparse.PushBlobAsync(repository, layer);
        var json = OciJson.Manifest(
            new OciJson.Desc(OciTypes.ImageConfig, Sha256("a config never pushed"), 21),
            [new OciJson.Desc(OciTypes.Layer, layerDigest, layer.Length)]);

        using var put = await _sparse.PutManifestAsync(repository, "sparse", json, OciTypes.ImageManifest);

        await SpecErrors.AssertAsync(put, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
    }

    // Config and first layer pushed; the second layer never is.
    private static async Task<(string Json, string MissingLayer)> SparseManifestAsync(RegistryClient registry, string repository)
    {
        var config = Bytes("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
        var present = RandomBytes(48);
        var missing = RandomBytes(48);
        var configDigest = await registry.PushBlobAsync(repository, config);
        var presentDigest = await registry.PushBlobAsync(repository, present);
        var json = OciJson.Manifest(
            new OciJson.Desc(OciTypes.ImageConfig, configDigest, config.Length),
            [new OciJson.Desc(OciTypes.Layer, presentDigest, present.Length), new OciJson.Desc(OciTypes.Layer, Sha256(missing), missing.Length)]);
        return (json, Sha256(missing));
    }
}
