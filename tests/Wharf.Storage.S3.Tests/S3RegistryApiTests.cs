using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Wharf.Storage.S3.Tests;

/// <summary>The server in process with <c>Storage:Provider s3</c>: pushes and pulls through the HTTP
/// API land in the bucket as distribution lays them out.</summary>
public sealed class S3RegistryApiTests(RgwEngine rgw) : S3TestBase(rgw)
{
    [Fact]
    public async Task ChunkedPush_TinyAndUnalignedChunks_PullsExactBytesAndLeavesOnePlainBlob()
    {
        var content = RandomBytes(12 * MiB + 333, seed: 21);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        await using var server = new S3Wharf(Rgw, Bucket);
        using var client = server.CreateClient();

        var start = await client.PostAsync("/v2/team/app/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = start.Headers.Location!.OriginalString;
        var offset = 0;
        foreach (var size in new[] { 1, 100 * 1024, 6 * MiB + 7, 1, content.Length - 6 * MiB - 100 * 1024 - 9 })
        {
            using var chunk = new ByteArrayContent(content, offset, size);
            chunk.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            chunk.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + size - 1}");
            var patch = await client.PatchAsync(location, chunk);
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            offset += size;
            location = patch.Headers.Location!.OriginalString;
        }
        var separator = location.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        var complete = await client.PutAsync($"{location}{separator}digest={digest}", null);
        Assert.Equal(HttpStatusCode.Created, complete.StatusCode);

        var pulled = await client.GetByteArrayAsync($"/v2/team/app/blobs/{digest}");

        AssertSameBytes(content, pulled);
        Assert.Equal([$"docker/registry/v2/blobs/sha256/{digest[7..9]}/{digest[7..]}/data"], await KeysAsync());
    }

    [Fact]
    public async Task GetBlob_RedirectOn_Answers307ToPresignedUrlServingTheBytes()
    {
        var content = RandomBytes(1000, seed: 22);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        await using var server = new S3Wharf(Rgw, Bucket, ("Storage:S3:Redirect", "true"));
        using var client = server.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var push = await client.PostAsync($"/v2/team/app/blobs/uploads/?digest={digest}", new ByteArrayContent(content));
        Assert.Equal(HttpStatusCode.Created, push.StatusCode);

        var pull = await client.GetAsync($"/v2/team/app/blobs/{digest}");

        Assert.Equal(HttpStatusCode.TemporaryRedirect, pull.StatusCode);
        var url = pull.Headers.Location!;
        Assert.True(url.OriginalString.StartsWith(Rgw.Endpoint + "/", StringComparison.Ordinal), $"redirected to {url}");
        using var direct = new HttpClient();
        AssertSameBytes(content, await direct.GetByteArrayAsync(url));
    }

    [Fact]
    public async Task HeadBlob_RedirectOn_AnswersFromTheRegistry()
    {
        var content = RandomBytes(10, seed: 23);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        await using var server = new S3Wharf(Rgw, Bucket, ("Storage:S3:Redirect", "true"));
        using var client = server.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await client.PostAsync($"/v2/team/app/blobs/uploads/?digest={digest}", new ByteArrayContent(content));

        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/team/app/blobs/{digest}"));

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(10, head.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task GetBlob_ObjectGoneFromTheBucket_Answers404BlobUnknownNot500()
    {
        var content = RandomBytes(1000, seed: 23);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        await using var server = new S3Wharf(Rgw, Bucket);
        using var client = server.CreateClient();
        using (var push = await client.PostAsync($"/v2/team/app/blobs/uploads/?digest={digest}", new ByteArrayContent(content)))
        {
            Assert.Equal(HttpStatusCode.Created, push.StatusCode);
        }
        // Pulled once, so nothing in the registry remembers it as absent or present beyond its metadata.
        Assert.Equal(content, await client.GetByteArrayAsync($"/v2/team/app/blobs/{digest}"));

        await Rgw.Client.DeleteObjectAsync(Bucket, $"docker/registry/v2/blobs/sha256/{digest[7..9]}/{digest[7..]}/data");
        using var pulled = await client.GetAsync($"/v2/team/app/blobs/{digest}");

        Assert.Equal(HttpStatusCode.NotFound, pulled.StatusCode);
        Assert.Contains("BLOB_UNKNOWN", await pulled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>Wharf on the test's bucket, its metadata in a temp directory removed afterwards.</summary>
    private sealed class S3Wharf : WebApplicationFactory<Program>
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "wharf-s3-api-" + Guid.NewGuid().ToString("N"));
        private readonly Dictionary<string, string?> _settings;

        public S3Wharf(RgwEngine rgw, string bucket, params (string Key, string Value)[] settings)
        {
            _settings = new()
            {
                ["Storage:Root"] = _root,
                ["Storage:Provider"] = "s3",
                ["Storage:S3:Endpoint"] = rgw.Endpoint,
                ["Storage:S3:Bucket"] = bucket,
                ["Storage:S3:AccessKey"] = rgw.AccessKey,
                ["Storage:S3:SecretKey"] = rgw.SecretKey,
                ["Storage:S3:ForcePathStyle"] = "true",
                ["Storage:S3:ChecksumMode"] = "WHEN_REQUIRED",
            };
            foreach (var (key, value) in settings)
            {
                _settings[key] = value;
            }
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in _settings)
            {
                builder.UseSetting(key, value);
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            if (Directory.Exists(_root))
            {
                // Only this server's databases: clearing every pool would race with other tests.
                foreach (var database in Directory.EnumerateFiles(_root, "*.db", SearchOption.AllDirectories))
                {
                    Wharf.Metadata.SqliteMetadataStore.ReleaseConnections(database);
                }
                Directory.Delete(_root, recursive: true);
            }
        }
    }
}
