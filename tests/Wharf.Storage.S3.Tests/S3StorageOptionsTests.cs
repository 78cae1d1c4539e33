namespace Wharf.Storage.S3.Tests;

public sealed class S3StorageOptionsTests
{
    [Fact]
    public void Validate_BucketOnly_HasNoProblems()
    {
        Assert.Empty(new S3StorageOptions { Bucket = "registry" }.Validate());
    }

    [Fact]
    public void Validate_EverythingWrong_ReportsEveryProblem()
    {
        var options = new S3StorageOptions
        {
            Bucket = "Not_A_Bucket",
            Endpoint = "127.0.0.1:7480",
            Region = " ",
            AccessKey = "only-the-access-key",
            ChecksumMode = "ALWAYS",
            Prefix = "a/../b",
            RedirectLifetime = TimeSpan.FromDays(8),
        };

        var problems = options.Validate().ToList();

        Assert.Equal(7, problems.Count);
        Assert.Contains(problems, p => p.Contains("Storage:S3:Bucket", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Storage:S3:Endpoint", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Storage:S3:Region", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Storage:S3:AccessKey", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Storage:S3:ChecksumMode", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Storage:S3:Prefix", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Storage:S3:RedirectLifetime", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MissingBucket_SaysSo()
    {
        Assert.Equal(["Storage:S3:Bucket must name a bucket"], new S3StorageOptions().Validate());
    }

    [Theory]
    [InlineData("WHEN_REQUIRED")]
    [InlineData("when_supported")]
    public void Validate_KnownChecksumMode_IsAccepted(string mode)
    {
        Assert.Empty(new S3StorageOptions { Bucket = "registry", ChecksumMode = mode }.Validate());
    }

    [Theory]
    [InlineData("registry")]
    [InlineData("/registry/")]
    [InlineData("a/b/c")]
    [InlineData("")]
    public void Validate_UsablePrefix_IsAccepted(string prefix)
    {
        Assert.Empty(new S3StorageOptions { Bucket = "registry", Prefix = prefix }.Validate());
    }

    [Fact]
    public void Create_StaticKeysAndEndpoint_UsesPathStyleAndGivenChecksumMode()
    {
        using var client = S3ClientFactory.Create(new S3StorageOptions
        {
            Bucket = "registry",
            Endpoint = "http://127.0.0.1:7480",
            AccessKey = "a",
            SecretKey = "s",
            ForcePathStyle = true,
            ChecksumMode = "WHEN_REQUIRED",
        });

        var config = (Amazon.S3.AmazonS3Config)client.Config;
        Assert.True(config.ForcePathStyle);
        Assert.Equal(Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED, config.RequestChecksumCalculation);
        Assert.Equal(Amazon.Runtime.ResponseChecksumValidation.WHEN_REQUIRED, config.ResponseChecksumValidation);
        Assert.Equal("http://127.0.0.1:7480/", config.ServiceURL);
    }
}
