using Wharf.Tests.EndToEnd;
using Wharf.Tests.Import;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>
/// Moving from CNCF distribution on S3 to Wharf: Debian's docker-registry (distribution 2.8) with
/// its S3 driver on the cluster's Ceph RGW, skopeo pushes two images to it, <c>wharf import
/// s3://bucket/prefix</c> adopts the bucket in place, and Wharf on that bucket serves both images
/// bit for bit.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class BucketImportTests(ClusterFixture cluster, ITestOutputHelper output) : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "wharf-bucket-import-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Import_BucketWrittenByDistribution_WharfServesBothImagesBitForBit()
    {
        using var skopeo = new Skopeo(output);
        var bucket = await cluster.Rgw.CreateBucketAsync();
        var source = OciLayout.Create(Path.Combine(_work, "source"));
        var image = source.AddImage("v1", layerCount: 3, seed: 201);
        var index = source.AddTwoPlatformIndex("multi", seed: 202);
        await using (var distribution = await DockerRegistryProcess.StartOnS3Async(
            new DistributionS3(cluster.Rgw.Endpoint, bucket, cluster.Rgw.AccessKey, cluster.Rgw.SecretKey, "/distribution"), output))
        {
            (await skopeo.CopyAsync($"oci:{source.Root}:v1", $"docker://{distribution.HostPort}/team/app:v1", "--preserve-digests")).EnsureSuccess();
            (await skopeo.CopyAsync($"oci:{source.Root}:multi", $"docker://{distribution.HostPort}/team/multi:latest", "--all", "--preserve-digests")).EnsureSuccess();
        }
        Assert.Contains(await cluster.Rgw.ListKeysAsync(bucket), key => key.StartsWith("distribution/docker/registry/v2/repositories/team/app/", StringComparison.Ordinal));
        var root = Path.Combine(_work, "wharf");
        string[] s3 =
        [
            "--Storage:Root", root,
            "--Storage:S3:Endpoint", cluster.Rgw.Endpoint,
            "--Storage:S3:AccessKey", cluster.Rgw.AccessKey,
            "--Storage:S3:SecretKey", cluster.Rgw.SecretKey,
            "--Storage:S3:ForcePathStyle", "true",
            "--Storage:S3:ChecksumMode", "WHEN_REQUIRED",
        ];
        var keysBefore = await cluster.Rgw.ListKeysAsync(bucket);

        var import = await WharfCli.RunAsync(output, ["import", $"s3://{bucket}/distribution", .. s3]);

        Assert.True(import.ExitCode == 0, import.StdErr);
        Assert.Equal(keysBefore, await cluster.Rgw.ListKeysAsync(bucket));   // zero copy: not one object added
        await using var wharf = await WharfProcess.StartAsync(new WharfStartOptions
        {
            Arguments = [.. s3, "--Storage:Provider", "s3", "--Storage:S3:Bucket", bucket, "--Storage:S3:Prefix", "distribution"],
        }, output);
        var pulled = Path.Combine(_work, "pulled");
        (await skopeo.CopyAsync($"docker://{wharf.HostPort}/team/app:v1", $"oci:{pulled}:v1", "--preserve-digests")).EnsureSuccess(wharf);
        (await skopeo.CopyAsync($"docker://{wharf.HostPort}/team/multi:latest", $"oci:{pulled}:multi", "--all", "--preserve-digests")).EnsureSuccess(wharf);
        Assert.Equal(image.Manifest.Digest, OciLayout.ReadTag(pulled, "v1").Digest);
        Assert.Equal(index.Index.Digest, OciLayout.ReadTag(pulled, "multi").Digest);
        foreach (var blob in index.Images.SelectMany(i => i.Layers.Append(i.Config).Append(i.Manifest)).Concat(image.Layers).Append(image.Config))
        {
            Assert.Equal(blob.Digest, OciLayout.ComputeFileDigest(OciLayout.BlobPath(pulled, blob.Digest)));
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
