using System.Net;
using System.Text.Json;

namespace Wharf.Tests.Api;

public sealed class ReferrerApiTests(WharfApiFactory factory) : ApiTestBase(factory)
{
    private const string EmptyConfig = "{}";
    private const string EmptyType = "application/vnd.oci.empty.v1+json";

    /// <summary>Pushes an artifact manifest whose subject is <paramref name="subject"/>.</summary>
    private async Task<string> PushReferrerAsync(string repository, string subject, string artifactType, string? annotation = null)
    {
        var configDigest = await Registry.PushBlobAsync(repository, EmptyConfig);
        var layerDigest = await Registry.PushBlobAsync(repository, $"payload of {artifactType} {annotation}");
        var json = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = Manifests.OciManifestType,
            ["artifactType"] = artifactType,
            ["config"] = new { mediaType = EmptyType, digest = configDigest, size = 2 },
            ["layers"] = new[] { new { mediaType = "application/octet-stream", digest = layerDigest, size = $"payload of {artifactType} {annotation}".Length } },
            ["subject"] = new { mediaType = Manifests.OciManifestType, digest = subject, size = 1 },
            ["annotations"] = annotation is null ? null : new Dictionary<string, string> { ["org.example.note"] = annotation },
        }.Where(p => p.Value is not null).ToDictionary());
        using var response = await Registry.PutManifestAsync(repository, RegistryClient.DigestOf(json), json, Manifests.OciManifestType);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(subject, response.Headers.GetValues("OCI-Subject").Single());
        return RegistryClient.DigestOf(json);
    }

    private static JsonElement[] Descriptors(string body) =>
        JsonDocument.Parse(body).RootElement.GetProperty("manifests").EnumerateArray().ToArray();

    [Fact]
    public async Task Referrers_UnknownSubject_Returns200EmptyIndex()
    {
        using var response = await Http.GetAsync($"/v2/{NewRepository()}/referrers/{RegistryClient.DigestOf("nothing")}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.oci.image.index.v1+json", response.Content.Headers.ContentType!.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(2, document.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(0, document.RootElement.GetProperty("manifests").GetArrayLength());
    }

    [Fact]
    public async Task Referrers_Subject_ListsEachReferrerWithArtifactTypeAndAnnotations()
    {
        var repository = NewRepository();
        var (_, subject) = await Registry.PushImageAsync(repository, "v1");
        var signature = await PushReferrerAsync(repository, subject, "application/vnd.example.signature", "signed");
        var sbom = await PushReferrerAsync(repository, subject, "application/spdx+json");

        var body = await Http.GetStringAsync($"/v2/{repository}/referrers/{subject}");

        var descriptors = Descriptors(body);
        Assert.Equal(new[] { signature, sbom }.Order(StringComparer.Ordinal), descriptors.Select(d => d.GetProperty("digest").GetString()));
        var sig = descriptors.Single(d => d.GetProperty("digest").GetString() == signature);
        Assert.Equal("application/vnd.example.signature", sig.GetProperty("artifactType").GetString());
        Assert.Equal("signed", sig.GetProperty("annotations").GetProperty("org.example.note").GetString());
        Assert.Equal(Manifests.OciManifestType, sig.GetProperty("mediaType").GetString());
        Assert.True(sig.GetProperty("size").GetInt64() > 0);
    }

    [Fact]
    public async Task Referrers_SubjectNotPushedYet_StillListsReferrer()
    {
        var repository = NewRepository();
        var subject = RegistryClient.DigestOf("an image pushed later");
        var referrer = await PushReferrerAsync(repository, subject, "application/vnd.example.sbom");

        var body = await Http.GetStringAsync($"/v2/{repository}/referrers/{subject}");

        Assert.Equal(referrer, Descriptors(body).Single().GetProperty("digest").GetString());
    }

    [Fact]
    public async Task Referrers_ArtifactTypeFilter_ListsOnlyThatTypeAndSaysSo()
    {
        var repository = NewRepository();
        var (_, subject) = await Registry.PushImageAsync(repository, "v1");
        var signature = await PushReferrerAsync(repository, subject, "application/vnd.example.signature");
        await PushReferrerAsync(repository, subject, "application/spdx+json");

        using var response = await Http.GetAsync($"/v2/{repository}/referrers/{subject}?artifactType=application/vnd.example.signature");

        Assert.Equal("artifactType", response.Headers.GetValues("OCI-Filters-Applied").Single());
        Assert.Equal(signature, Descriptors(await response.Content.ReadAsStringAsync()).Single().GetProperty("digest").GetString());
    }

    [Fact]
    public async Task Referrers_ImageManifestWithoutArtifactType_ReportsConfigMediaType()
    {
        var repository = NewRepository();
        var subject = RegistryClient.DigestOf("subject");
        var config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
        var configDigest = await Registry.PushBlobAsync(repository, config);
        var json = Manifests.OciImage(configDigest, config.Length, [], subject);
        using var put = await Registry.PutManifestAsync(repository, "signed", json, Manifests.OciManifestType);

        var body = await Http.GetStringAsync($"/v2/{repository}/referrers/{subject}");

        Assert.Equal("application/vnd.oci.image.config.v1+json", Descriptors(body).Single().GetProperty("artifactType").GetString());
    }

    [Fact]
    public async Task Referrers_AfterReferrerDeleted_NoLongerListsIt()
    {
        var repository = NewRepository();
        var (_, subject) = await Registry.PushImageAsync(repository, "v1");
        var referrer = await PushReferrerAsync(repository, subject, "application/vnd.example.signature");

        using var delete = await Http.DeleteAsync($"/v2/{repository}/manifests/{referrer}");
        var body = await Http.GetStringAsync($"/v2/{repository}/referrers/{subject}");

        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Empty(Descriptors(body));
    }

    [Fact]
    public async Task Referrers_OtherRepository_AreNotListed()
    {
        var repository = NewRepository();
        var (_, subject) = await Registry.PushImageAsync(repository, "v1");
        await PushReferrerAsync(repository, subject, "application/vnd.example.signature");

        var body = await Http.GetStringAsync($"/v2/{NewRepository()}/referrers/{subject}");

        Assert.Empty(Descriptors(body));
    }

    [Fact]
    public async Task Referrers_InvalidDigest_Returns400DigestInvalid()
    {
        using var response = await Http.GetAsync($"/v2/{NewRepository()}/referrers/sha256:nothex");
        await RegistryClient.AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task Referrers_HundredsOfReferrers_AreAllListed()
    {
        var repository = NewRepository();
        var subject = RegistryClient.DigestOf("popular image");
        var configDigest = await Registry.PushBlobAsync(repository, EmptyConfig);
        var pushes = Enumerable.Range(0, 300).Select(async i =>
        {
            var json = JsonSerializer.Serialize(new
            {
                schemaVersion = 2,
                mediaType = Manifests.OciManifestType,
                artifactType = i % 2 == 0 ? "application/vnd.example.signature" : "application/vnd.example.attestation",
                config = new { mediaType = EmptyType, digest = configDigest, size = 2 },
                layers = Array.Empty<object>(),
                subject = new { mediaType = Manifests.OciManifestType, digest = subject, size = 1 },
                annotations = new Dictionary<string, string> { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            });
            using var response = await Registry.PutManifestAsync(repository, RegistryClient.DigestOf(json), json, Manifests.OciManifestType);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        });
        await Task.WhenAll(pushes);

        var all = Descriptors(await Http.GetStringAsync($"/v2/{repository}/referrers/{subject}"));
        var signatures = Descriptors(await Http.GetStringAsync($"/v2/{repository}/referrers/{subject}?artifactType=application/vnd.example.signature"));

        Assert.Equal(300, all.Length);
        Assert.Equal(150, signatures.Length);
    }
}
