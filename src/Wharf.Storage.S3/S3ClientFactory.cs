using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace Wharf.Storage.S3;

/// <summary>The S3 client the options describe.</summary>
public static class S3ClientFactory
{
    public static AmazonS3Client Create(S3StorageOptions options)
    {
        var checksums = string.Equals(options.ChecksumMode, S3StorageOptions.WhenRequired, StringComparison.OrdinalIgnoreCase)
            ? (RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation.WHEN_REQUIRED)
            : (RequestChecksumCalculation.WHEN_SUPPORTED, ResponseChecksumValidation.WHEN_SUPPORTED);
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            RequestChecksumCalculation = checksums.Item1,
            ResponseChecksumValidation = checksums.Item2,
        };
        if (options.Endpoint is { Length: > 0 } endpoint)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        return options.AccessKey is { Length: > 0 } accessKey
            ? new AmazonS3Client(new BasicAWSCredentials(accessKey, options.SecretKey), config)
            // No keys: the SDK's default chain (environment, profile, web identity, instance role).
            : new AmazonS3Client(config);
    }
}
