using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wharf.Tests.Api;

namespace Wharf.Tests.Conformance;

/// <summary>
/// OCI Distribution Specification v1.1, "Content Discovery": listing tags (with <c>n</c>/<c>last</c>
/// pagination and the <c>Link</c> header) and listing referrers.
/// </summary>
[Trait("Category", "Conformance")]
[Trait("Section", "Content Discovery")]
public sealed partial class ContentDiscoveryConformanceTests(WharfApiFactory factory) : ConformanceTestBase(factory)
{
    private const string Sbom = "application/vnd.example.sbom.v1";
    private const string Signature = "application/vnd.example.signature.v1";

    // RFC 5988 link-value: <URI-Reference>; rel="next" (other parameters allowed).
    [GeneratedRegex("""^\s*<([^>]+)>\s*;(?:.*;)?\s*rel\s*=\s*"?next"?\s*(?:;.*)?$""")]
    private static partial Regex NextLink();

    // ---- Listing tags -----------------------------------------------------------------------

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing tags [MUST]: GET /v2/<name>/tags/list of an existing repository answers 200 OK with {\"name\":<name>,\"tags\":[...]}")]
    public async Task Discovery_ListTags_MustReturn200WithNameAndTags()
    {
        var repository = NewRepository();
        await TagAsync(repository, "v1", "v2");

        using var response = await GetAsync($"/v2/{repository}/tags/list");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (name, tags) = await ReadTagListAsync(response);
        Assert.Equal(repository, name);
        Assert.Equal(["v1", "v2"], tags);
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing tags [MAY]: a repository without tags answers 200 with an empty tag list")]
    public async Task Discovery_ListTagsOfRepositoryWithoutTags_MayBeEmpty()
    {
        var repository = NewRepository();
        var (json, digest) = await PushImageAsync(repository, "temporary");
        using (var delete = await DeleteAsync($"/v2/{repository}/manifests/temporary"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        using (var put = await PutManifestAsync(repository, digest, json))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using var response = await GetAsync($"/v2/{repository}/tags/list");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (name, tags) = await ReadTagListAsync(response);
        Assert.Equal(repository, name);
        Assert.Empty(tags);
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing tags [MUST]: a non-empty tag list is in lexical order")]
    public async Task Discovery_ListTags_MustBeInLexicalOrder()
    {
        var repository = NewRepository();
        string[] pushed = ["v2.0", "latest", "1.10", "1.9", "beta", "alpha", "v1.0", "1.0-rc1"];
        await TagAsync(repository, pushed);

        using var response = await GetAsync($"/v2/{repository}/tags/list");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (_, tags) = await ReadTagListAsync(response);
        Assert.Equal(pushed.Order(StringComparer.Ordinal), tags);
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing tags [MUST]: tags are in lexical order; v1.1 glosses it as case-insensitive, later drafts also allow ASCIIbetical (Go sort.Strings) order")]
    public async Task Discovery_ListTagsWithMixedCase_MustBeInCaseInsensitiveOrAsciibeticalOrder()
    {
        var repository = NewRepository();
        string[] pushed = ["b", "A", "a2", "B1", "Zed", "_under", "10", "9"];
        await TagAsync(repository, pushed);

        using var response = await GetAsync($"/v2/{repository}/tags/list");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (_, tags) = await ReadTagListAsync(response);
        Assert.Equal(pushed.Order(StringComparer.Ordinal), tags.Order(StringComparer.Ordinal));
        var asciibetical = tags.SequenceEqual(pushed.Order(StringComparer.Ordinal));
        var caseInsensitive = tags.Zip(tags.Skip(1)).All(p => StringComparer.OrdinalIgnoreCase.Compare(p.First, p.Second) <= 0);
        Assert.True(asciibetical || caseInsensitive, $"tags are in neither order: {string.Join(", ", tags)}");
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing tags [MUST]: with ?n=<int>, fewer than n results only if the repository has fewer tags or a Link header is given; otherwise exactly n, from the start of the list")]
    public async Task Discovery_ListTagsWithN_MustReturnNResultsUnlessLinkHeader()
    {
        var repository = NewRepository();
        string[] pushed = ["t1", "t2", "t3", "t4", "t5"];
        await TagAsync(repository, pushed);

        using var response = await GetAsync($"/v2/{repository}/tags/list?n=3");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (_, tags) = await ReadTagListAsync(response);
        if (tags.Count < 3)
        {
            Assert.NotNull(OptionalHeader(response, "Link"));
        }
        else
        {
            Assert.Equal(["t1", "t2", "t3"], tags);
        }
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing tags [MAY]: with n larger than the number of tags the response returns them all (fewer than n)")]
    public async Task Discovery_ListTagsWithNLargerThanTotal_MayReturnFewerThanN()
    {
        var repository = NewRepository();
        await TagAsync(repository, "a", "b");

        using var response = await GetAsync($"/v2/{repository}/tags/list?n=10");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (_, tags) = await ReadTagListAsync(response);
        Assert.Equal(["a", "b"], tags);
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing tags [MUST if present]: a Link header is RFC 5988 with rel=\"next\"; following it walks the rest of the list in lexical order")]
    public async Task Discovery_ListTagsLinkHeader_MustBeRfc5988RelNext()
    {
        var repository = NewRepository();
        string[] pushed = ["e", "a", "d", "c", "b", "f", "g"];
        await TagAsync(repository, pushed);
        var collected = new List<string>();
        var next = $"/v2/{repository}/tags/list?n=2";
        var pages = 0;

        while (next is not null)
        {
            Assert.True(++pages <= 10, "pagination did not terminate");
            using var response = await GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var (_, tags) = await ReadTagListAsync(response);
            collected.AddRange(tags);
            var link = OptionalHeader(response, "Link");
            if (link is null)
            {
                next = null;
                continue;
            }
            var match = NextLink().Match(link);
            Assert.True(match.Success, $"Link header '{link}' is not <url>; rel=\"next\"");
            var target = new Uri(match.Groups[1].Value, UriKind.RelativeOrAbsolute);
            next = target.IsAbsoluteUri ? target.PathAndQuery : target.OriginalString;
        }

        Assert.True(pages > 1, "a Link header was expected when more tags are available");
        Assert.Equal(pushed.Order(StringComparer.Ordinal), collected);
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing tags [MUST, MUST NOT]: with n=0 the list is empty and there is no Link header")]
    public async Task Discovery_ListTagsWithNZero_MustReturnEmptyListWithoutLink()
    {
        var repository = NewRepository();
        await TagAsync(repository, "a", "b", "c");

        using var response = await GetAsync($"/v2/{repository}/tags/list?n=0");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (_, tags) = await ReadTagListAsync(response);
        Assert.Empty(tags);
        Assert.Null(OptionalHeader(response, "Link"));
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing tags [MUST]: with ?n=<int>&last=<tag> up to n tags after <tag> (not including it) are returned, in lexical order")]
    public async Task Discovery_ListTagsWithNAndLast_MustReturnTagsAfterLastExclusive()
    {
        var repository = NewRepository();
        await TagAsync(repository, "a", "b", "c", "d", "e");

        using var response = await GetAsync($"/v2/{repository}/tags/list?n=2&last=b");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (_, tags) = await ReadTagListAsync(response);
        Assert.Equal(["c", "d"], tags);
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing tags [OPTIONAL n]: with last alone, the tags after <tag> are returned in lexical order")]
    public async Task Discovery_ListTagsWithLastOnly_MustReturnTagsAfterLast()
    {
        var repository = NewRepository();
        await TagAsync(repository, "a", "b", "c", "d");

        using var response = await GetAsync($"/v2/{repository}/tags/list?last=b");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (_, tags) = await ReadTagListAsync(response);
        Assert.Equal(["c", "d"], tags);
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing tags [end-8a failure 404]: the tag list of a repository that does not exist answers 404")]
    public async Task Discovery_ListTagsOfUnknownRepository_MustReturn404()
    {
        using var response = await GetAsync($"/v2/{NewRepository("never-pushed")}/tags/list");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await SpecErrors.ValidateAsync(response);
    }

    // ---- Listing referrers ------------------------------------------------------------------

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST]: a subject nothing refers to answers 200 with an image index whose manifests list is empty")]
    public async Task Discovery_ReferrersOfUnknownSubject_MustReturn200WithEmptyIndex()
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "v1");

        using var response = await GetAsync($"/v2/{repository}/referrers/{Sha256("nobody refers to this")}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var index = await ReadIndexAsync(response);
        Assert.Equal(0, index.RootElement.GetProperty("manifests").GetArrayLength());
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST NOT]: a registry that supports the referrers API never answers it with 404, even for a repository it does not hold")]
    public async Task Discovery_ReferrersInUnknownRepository_MustNotReturn404()
    {
        using var response = await GetAsync($"/v2/{NewRepository("never-pushed")}/referrers/{Sha256("x")}");

        Assert.NotEqual(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("sha256-0000")]
    [InlineData("latest")]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST]: a request with an invalid <digest> answers 400 Bad Request")]
    public async Task Discovery_ReferrersWithInvalidDigest_MustReturn400(string digest)
    {
        var repository = NewRepository();
        await PushImageAsync(repository, "v1");

        using var response = await GetAsync($"/v2/{repository}/referrers/{digest}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await SpecErrors.ValidateAsync(response);
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST]: the response's Content-Type is application/vnd.oci.image.index.v1+json")]
    public async Task Discovery_Referrers_ContentTypeMustBeOciImageIndex()
    {
        var repository = NewRepository();
        var (_, subject) = await PushImageAsync(repository, "v1");
        await PushReferrerAsync(repository, subject, Sbom);

        using var response = await GetAsync($"/v2/{repository}/referrers/{subject}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OciTypes.ImageIndex, Assert.Single(response.Content.Headers.GetValues("Content-Type")));
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST]: the body is an image index listing a descriptor (mediaType, digest, size) of each manifest in the repository whose subject is <digest>")]
    public async Task Discovery_Referrers_MustListEveryManifestWithThatSubject()
    {
        var repository = NewRepository();
        var (_, subject) = await PushImageAsync(repository, "v1");
        var (sbomJson, sbom) = await PushReferrerAsync(repository, subject, Sbom, seed: "a");
        var (signatureJson, signature) = await PushReferrerAsync(repository, subject, Signature, seed: "b");
        var (_, unrelatedSubject) = await PushImageAsync(repository, "v2", seed: "other");
        await PushReferrerAsync(repository, unrelatedSubject, Sbom, seed: "c");

        using var response = await GetAsync($"/v2/{repository}/referrers/{subject}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var index = await ReadIndexAsync(response);
        var descriptors = Descriptors(index);
        Assert.Equal(2, descriptors.Count);
        foreach (var (json, digest) in new[] { (sbomJson, sbom), (signatureJson, signature) })
        {
            var descriptor = Assert.Single(descriptors, d => d.GetProperty("digest").GetString() == digest);
            Assert.Equal(OciTypes.ImageManifest, descriptor.GetProperty("mediaType").GetString());
            Assert.Equal(Encoding.UTF8.GetByteCount(json), descriptor.GetProperty("size").GetInt64());
        }
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST]: each descriptor carries the artifactType of the referring image manifest when it has one")]
    public async Task Discovery_ReferrerWithArtifactType_MustCarryThatArtifactType()
    {
        var repository = NewRepository();
        var (_, subject) = await PushImageAsync(repository, "v1");
        var (_, referrer) = await PushReferrerAsync(repository, subject, Sbom);

        var descriptor = await SingleReferrerAsync(repository, subject, referrer);

        Assert.Equal(Sbom, descriptor.GetProperty("artifactType").GetString());
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST]: for an image manifest without artifactType, the descriptor's artifactType is the config descriptor's mediaType")]
    public async Task Discovery_ReferrerWithoutArtifactType_MustUseConfigMediaType()
    {
        var repository = NewRepository();
        var (_, subject) = await PushImageAsync(repository, "v1");
        const string configType = "application/vnd.example.config.v1+json";
        var (_, referrer) = await PushReferrerAsync(repository, subject, artifactType: null, configMediaType: configType);

        var descriptor = await SingleReferrerAsync(repository, subject, referrer);

        Assert.Equal(configType, descriptor.GetProperty("artifactType").GetString());
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST]: for an image manifest whose artifactType is empty, the descriptor's artifactType is the config descriptor's mediaType (a registry may instead refuse the empty value as MANIFEST_INVALID)")]
    public async Task Discovery_ReferrerWithEmptyArtifactType_MustUseConfigMediaType()
    {
        var repository = NewRepository();
        var (_, subject) = await PushImageAsync(repository, "v1");
        const string configType = "application/vnd.example.config.v1+json";
        var config = Bytes("{\"kind\":\"empty-artifact-type\"}");
        var configDigest = await PushBlobAsync(repository, config);
        var json = OciJson.Manifest(new OciJson.Desc(configType, configDigest, config.Length), [],
            artifactType: "", subject: new OciJson.Desc(OciTypes.ImageManifest, subject, 100));
        var referrer = Sha256(json);

        using var put = await PutManifestAsync(repository, referrer, json);

        if (put.StatusCode == HttpStatusCode.BadRequest)
        {
            Assert.Contains("MANIFEST_INVALID", await SpecErrors.ValidateAsync(put));
            return;
        }
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var descriptor = await SingleReferrerAsync(repository, subject, referrer);
        Assert.Equal(configType, descriptor.GetProperty("artifactType").GetString());
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST]: for an index whose artifactType is empty, the descriptor has no artifactType (a registry may instead refuse the empty value as MANIFEST_INVALID)")]
    public async Task Discovery_IndexReferrerWithEmptyArtifactType_MustOmitArtifactType()
    {
        var repository = NewRepository();
        var (_, subject) = await PushImageAsync(repository, "v1");
        var json = OciJson.Index([], artifactType: "", subject: new OciJson.Desc(OciTypes.ImageManifest, subject, 100));
        var referrer = Sha256(json);

        using var put = await PutManifestAsync(repository, referrer, json, OciTypes.ImageIndex);

        if (put.StatusCode == HttpStatusCode.BadRequest)
        {
            Assert.Contains("MANIFEST_INVALID", await SpecErrors.ValidateAsync(put));
            return;
        }
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var descriptor = await SingleReferrerAsync(repository, subject, referrer);
        Assert.False(descriptor.TryGetProperty("artifactType", out var value),
            $"an index with an empty artifactType must not get one in the referrers list (got '{value}')");
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST]: for an index without artifactType, the descriptor has no artifactType")]
    public async Task Discovery_IndexReferrerWithoutArtifactType_MustOmitArtifactType()
    {
        var repository = NewRepository();
        var (_, subject) = await PushImageAsync(repository, "v1");
        var referrer = await PushIndexReferrerAsync(repository, subject, artifactType: null);

        var descriptor = await SingleReferrerAsync(repository, subject, referrer);

        Assert.Equal(OciTypes.ImageIndex, descriptor.GetProperty("mediaType").GetString());
        Assert.False(descriptor.TryGetProperty("artifactType", out _), "an index without artifactType must not get one in the referrers list");
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST]: for an index with an artifactType, the descriptor carries it")]
    public async Task Discovery_IndexReferrerWithArtifactType_MustCarryThatArtifactType()
    {
        var repository = NewRepository();
        var (_, subject) = await PushImageAsync(repository, "v1");
        var referrer = await PushIndexReferrerAsync(repository, subject, artifactType: "application/vnd.example.bundle.v1");

        var descriptor = await SingleReferrerAsync(repository, subject, referrer);

        Assert.Equal("application/vnd.example.bundle.v1", descriptor.GetProperty("artifactType").GetString());
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST]: each descriptor carries the annotations of the referring manifest")]
    public async Task Discovery_Referrers_MustIncludeManifestAnnotations()
    {
        var repository = NewRepository();
        var (_, subject) = await PushImageAsync(repository, "v1");
        var annotations = new Dictionary<string, string>
        {
            ["org.opencontainers.image.created"] = "2024-01-02T03:04:05Z",
            ["org.example.sbom.format"] = "spdx-json",
        };
        var (_, referrer) = await PushReferrerAsync(repository, subject, Sbom, annotations: annotations);

        var descriptor = await SingleReferrerAsync(repository, subject, referrer);

        var actual = descriptor.GetProperty("annotations").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(annotations.OrderBy(p => p.Key), actual.OrderBy(p => p.Key));
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [SHOULD]: the registry supports ?artifactType= filtering and lists only referrers of that type")]
    public async Task Discovery_ReferrersWithArtifactTypeFilter_ShouldListOnlyMatchingReferrers()
    {
        var repository = NewRepository();
        var (_, subject) = await PushImageAsync(repository, "v1");
        var (_, sbom) = await PushReferrerAsync(repository, subject, Sbom, seed: "a");
        await PushReferrerAsync(repository, subject, Signature, seed: "b");

        using var response = await GetAsync($"/v2/{repository}/referrers/{subject}?artifactType={Uri.EscapeDataString(Sbom)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var index = await ReadIndexAsync(response);
        var descriptor = Assert.Single(Descriptors(index));
        Assert.Equal(sbom, descriptor.GetProperty("digest").GetString());
        Assert.Equal(Sbom, descriptor.GetProperty("artifactType").GetString());
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST when applied]: a response filtered by artifactType carries OCI-Filters-Applied: artifactType")]
    public async Task Discovery_ReferrersWithArtifactTypeFilter_MustSetOciFiltersAppliedHeader()
    {
        var repository = NewRepository();
        var (_, subject) = await PushImageAsync(repository, "v1");
        await PushReferrerAsync(repository, subject, Sbom, seed: "a");
        await PushReferrerAsync(repository, subject, Signature, seed: "b");

        using var response = await GetAsync($"/v2/{repository}/referrers/{subject}?artifactType={Uri.EscapeDataString(Signature)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var applied = SingleHeader(response, "OCI-Filters-Applied");
        Assert.Contains("artifactType", applied.Split(',', StringSplitOptions.TrimEntries));
        using var index = await ReadIndexAsync(response);
        Assert.All(Descriptors(index), d => Assert.Equal(Signature, d.GetProperty("artifactType").GetString()));
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [MUST]: each descriptor is of a manifest in the same repository; referrers pushed to other repositories are not listed")]
    public async Task Discovery_Referrers_MustOnlyListManifestsOfTheSameRepository()
    {
        var repository = NewRepository();
        var other = NewRepository();
        var (_, subject) = await PushImageAsync(repository, "v1");
        await PushReferrerAsync(other, subject, Sbom, seed: "elsewhere");
        var (_, local) = await PushReferrerAsync(repository, subject, Sbom, seed: "here");

        using var response = await GetAsync($"/v2/{repository}/referrers/{subject}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var index = await ReadIndexAsync(response);
        var descriptor = Assert.Single(Descriptors(index));
        Assert.Equal(local, descriptor.GetProperty("digest").GetString());
    }

    [Fact]
    [Trait("Requirement", "Push + Listing referrers [MUST]: a referrer pushed before its subject exists is listed once it does (push in either order)")]
    public async Task Discovery_ReferrerPushedBeforeSubject_MustBeListed()
    {
        var repository = NewRepository();
        var config = Bytes("{\"architecture\":\"arm64\",\"os\":\"linux\"}");
        var configDigest = await PushBlobAsync(repository, config);
        var subjectJson = OciJson.Manifest(new OciJson.Desc(OciTypes.ImageConfig, configDigest, config.Length), []);
        var subject = Sha256(subjectJson);
        var (_, referrer) = await PushReferrerAsync(repository, subject, Sbom);
        using (var before = await GetAsync($"/v2/{repository}/referrers/{subject}"))
        {
            using var index = await ReadIndexAsync(before);
            Assert.Contains(Descriptors(index), d => d.GetProperty("digest").GetString() == referrer);
        }
        using (var put = await PutManifestAsync(repository, subject, subjectJson))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var descriptor = await SingleReferrerAsync(repository, subject, referrer);

        Assert.Equal(Sbom, descriptor.GetProperty("artifactType").GetString());
    }

    [Fact]
    [Trait("Requirement", "Content Discovery / Listing referrers [digests per image-spec]: a sha512 subject digest is a valid <digest> for the referrers API")]
    public async Task Discovery_ReferrersOfSha512Subject_MustListReferrers()
    {
        var repository = NewRepository();
        var config = Bytes("{\"architecture\":\"s390x\",\"os\":\"linux\"}");
        var configDigest = await PushBlobAsync(repository, config);
        var subjectJson = OciJson.Manifest(new OciJson.Desc(OciTypes.ImageConfig, configDigest, config.Length), []);
        var subject = Sha512(subjectJson);
        using (var put = await PutManifestAsync(repository, subject, subjectJson))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        var (_, referrer) = await PushReferrerAsync(repository, subject, Sbom);

        var descriptor = await SingleReferrerAsync(repository, subject, referrer);

        Assert.Equal(Sbom, descriptor.GetProperty("artifactType").GetString());
    }

    // ---- helpers ----------------------------------------------------------------------------

    /// <summary>Pushes one image manifest, then puts it under every tag.</summary>
    private async Task TagAsync(string repository, params string[] tags)
    {
        var (json, digest) = await PushImageAsync(repository, tags[0]);
        foreach (var tag in tags.Skip(1))
        {
            using var put = await PutManifestAsync(repository, tag, json);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(digest, SingleHeader(put, "Docker-Content-Digest"));
        }
    }

    private static async Task<(string Name, List<string> Tags)> ReadTagListAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        var name = root.GetProperty("name").GetString()!;
        var tags = root.GetProperty("tags");
        Assert.Equal(JsonValueKind.Array, tags.ValueKind);
        return (name, tags.EnumerateArray().Select(t => t.GetString()!).ToList());
    }

    /// <summary>Parses a referrers response and checks it is an image index.</summary>
    private static async Task<JsonDocument> ReadIndexAsync(HttpResponseMessage response)
    {
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        Assert.Equal(2, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(OciTypes.ImageIndex, root.GetProperty("mediaType").GetString());
        Assert.Equal(JsonValueKind.Array, root.GetProperty("manifests").ValueKind);
        return document;
    }

    private static List<JsonElement> Descriptors(JsonDocument index) => index.RootElement.GetProperty("manifests").EnumerateArray().ToList();

    private async Task<JsonElement> SingleReferrerAsync(string repository, string subject, string referrer)
    {
        using var response = await GetAsync($"/v2/{repository}/referrers/{subject}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var index = await ReadIndexAsync(response);
        var descriptor = Assert.Single(Descriptors(index));
        Assert.Equal(referrer, descriptor.GetProperty("digest").GetString());
        return descriptor.Clone();
    }

    private async Task<string> PushIndexReferrerAsync(string repository, string subject, string? artifactType)
    {
        var json = OciJson.Index([], artifactType: artifactType,
            subject: new OciJson.Desc(OciTypes.ImageManifest, subject, 100),
            annotations: new Dictionary<string, string> { ["org.example.kind"] = "index" });
        var digest = Sha256(json);
        using var put = await PutManifestAsync(repository, digest, json, OciTypes.ImageIndex);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return digest;
    }
}
