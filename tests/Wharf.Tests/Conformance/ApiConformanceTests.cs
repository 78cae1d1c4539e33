using System.Net;
using System.Text.RegularExpressions;
using Wharf.Tests.Api;

namespace Wharf.Tests.Conformance;

/// <summary>
/// OCI Distribution Specification v1.1, "API": determining support (<c>GET /v2/</c>), the error
/// body and its codes, warnings, and the legacy Docker headers the spec mentions.
/// </summary>
[Trait("Category", "Conformance")]
[Trait("Section", "API")]
public sealed partial class ApiConformanceTests(WharfApiFactory factory) : ConformanceTestBase(factory)
{
    // warning-value = 299 SP "-" SP quoted-string, with no warn-date.
    [GeneratedRegex("""^299 - "(?:[^"\\]|\\.)*"$""")]
    private static partial Regex Warning();

    [Fact]
    [Trait("Requirement", "API / Determining support [end-1]: GET /v2/ answers 200 OK on a registry that implements the specification")]
    public async Task Api_GetV2_MustReturn200()
    {
        using var response = await GetAsync("/v2/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    [Trait("Requirement", "Overview / Legacy Docker headers [OPTIONAL]: a registry may send Docker-Distribution-API-Version; when it does, the Docker registry API V2 value is registry/2.0")]
    public async Task Api_DockerDistributionApiVersionHeader_IfPresentMustBeRegistry20()
    {
        using var response = await GetAsync("/v2/");

        var value = OptionalHeader(response, "Docker-Distribution-API-Version");
        Assert.True(value is null || value == "registry/2.0", $"Docker-Distribution-API-Version is '{value}'");
    }

    /// <summary>
    /// API / Error codes: a 4XX body that is JSON must be <c>{"errors":[{"code","message","detail"}]}</c>;
    /// each code is uppercase letters and underscores and one of the table's fourteen codes.
    /// Each scenario provokes one error and names the code the spec's table gives for it (or
    /// none, where the table has no specific code and any of its codes would do).
    /// </summary>
    [Theory]
    [InlineData("manifest-unknown", 404, "MANIFEST_UNKNOWN")]
    [InlineData("blob-unknown", 404, "BLOB_UNKNOWN")]
    [InlineData("blob-upload-unknown", 404, "BLOB_UPLOAD_UNKNOWN")]
    [InlineData("digest-invalid", 400, "DIGEST_INVALID")]
    [InlineData("manifest-invalid", 400, "MANIFEST_INVALID")]
    [InlineData("manifest-blob-unknown", 400, "MANIFEST_BLOB_UNKNOWN")]
    [InlineData("name-invalid", 400, "NAME_INVALID")]
    [InlineData("name-unknown", 404, "NAME_UNKNOWN")]
    [InlineData("size-invalid", 400, "SIZE_INVALID")]
    [InlineData("unsupported-method", 405, "UNSUPPORTED")]
    [InlineData("chunk-out-of-order", 416, null)]
    [InlineData("tag-list-n-not-a-number", 400, null)]
    [Trait("Requirement", "API / Error codes [MUST]: a JSON 4XX body is {\"errors\":[{code,message,detail}]}, with code from the specification's table of error codes")]
    public async Task Api_ErrorBody_MustUseSpecFormatAndCodes(string scenario, int status, string? code)
    {
        using var response = await ProvokeAsync(scenario);

        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        var codes = await SpecErrors.ValidateAsync(response);
        Assert.True(codes.Count > 0, $"{scenario}: expected a JSON error body");
        if (code is not null)
        {
            Assert.Contains(code, codes);
        }
    }

    [Fact]
    [Trait("Requirement", "API / Warnings [MUST if present]: Warning headers use warn-code 299 and warn-agent '-', carry no warn-date, and total at most 4096 bytes")]
    public async Task Api_WarningHeaders_IfPresentMustBe299WithoutDateAndWithin4096Bytes()
    {
        var repository = NewRepository();
        var (_, digest) = await PushImageAsync(repository, "v1");
        string[] paths =
        [
            "/v2/",
            $"/v2/{repository}/manifests/v1",
            $"/v2/{repository}/manifests/{digest}",
            $"/v2/{repository}/tags/list",
            $"/v2/{repository}/referrers/{digest}",
            $"/v2/{repository}/manifests/missing",
        ];

        foreach (var path in paths)
        {
            using var response = await GetAsync(path);
            if (!response.Headers.TryGetValues("Warning", out var values))
            {
                continue;
            }
            var total = 0;
            foreach (var value in values)
            {
                Assert.Matches(Warning(), value);
                total += value.Length;
            }
            Assert.True(total <= 4096, $"{path}: {total} bytes of warnings");
        }
    }

    private async Task<HttpResponseMessage> ProvokeAsync(string scenario)
    {
        var repository = NewRepository();
        switch (scenario)
        {
            case "manifest-unknown":
                await PushImageAsync(repository, "v1");
                return await GetAsync($"/v2/{repository}/manifests/missing");
            case "blob-unknown":
                await PushBlobAsync(repository, Bytes("x"));
                return await GetAsync($"/v2/{repository}/blobs/{Sha256("missing")}");
            case "blob-upload-unknown":
                return await GetAsync($"/v2/{repository}/blobs/uploads/{Guid.NewGuid():D}");
            case "digest-invalid":
                return await Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={Sha256("other")}", OctetStream(Bytes("these")));
            case "manifest-invalid":
                return await PutManifestAsync(repository, "v1", "{ this is not json");
            case "manifest-blob-unknown":
                var json = OciJson.Manifest(new OciJson.Desc(OciTypes.ImageConfig, Sha256("no config"), 9), []);
                return await PutManifestAsync(repository, "v1", json);
            case "name-invalid":
                return await GetAsync("/v2/Not_Valid/tags/list");
            case "name-unknown":
                return await GetAsync($"/v2/{repository}/tags/list");
            case "size-invalid":
                {
                    var location = await StartUploadAsync(repository);
                    var blob = RandomBytes(100);
                    // Content-Range announces 50 bytes, the body (and Content-Length) has 100.
                    return await PatchChunkAsync(location, blob, 0, 100, contentRange: "0-49");
                }
            case "unsupported-method":
                return await Http.PostAsync($"/v2/{repository}/manifests/v1", OctetStream(Bytes("{}")));
            case "chunk-out-of-order":
                {
                    var location = await StartUploadAsync(repository);
                    return await PatchChunkAsync(location, RandomBytes(100), 10, 50);
                }
            case "tag-list-n-not-a-number":
                await PushImageAsync(repository, "v1");
                return await GetAsync($"/v2/{repository}/tags/list?n=abc");
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null);
        }
    }
}
