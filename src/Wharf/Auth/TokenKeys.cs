using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;

namespace Wharf.Auth;

/// <summary>Loads the keys tokens are signed and checked with.</summary>
public static class TokenKeys
{
    /// <summary>The built-in service's private key: from the configured PEM file, or generated once
    /// (EC P-256) into <paramref name="generatedKeyFile"/> so that tokens survive a restart.</summary>
    public static SigningCredentials LoadSigningCredentials(string? pemFile, string generatedKeyFile)
    {
        string pem;
        if (pemFile is not null)
        {
            pem = File.ReadAllText(pemFile);
        }
        else if (File.Exists(generatedKeyFile))
        {
            pem = File.ReadAllText(generatedKeyFile);
        }
        else
        {
            using var generated = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            pem = generated.ExportPkcs8PrivateKeyPem();
            Directory.CreateDirectory(Path.GetDirectoryName(generatedKeyFile)!);
            // Written with owner-only permissions before any byte of the key reaches it, under a
            // temporary name, flushed, then renamed: a crash never leaves half a key to fail the next start.
            var temporary = generatedKeyFile + ".tmp-" + Guid.NewGuid().ToString("N");
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (var file = new FileStream(temporary, create))
            {
                file.Write(System.Text.Encoding.ASCII.GetBytes(pem));
                file.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temporary, generatedKeyFile, overwrite: false);
            }
            catch (IOException) when (File.Exists(generatedKeyFile))
            {
                // Another process generated the key first: use theirs, so both sign alike.
                File.Delete(temporary);
                pem = File.ReadAllText(generatedKeyFile);
            }
        }
        return FromPrivateKeyPem(pem);
    }

    /// <summary>The built-in service's private key kept in the metadata store, which every replica
    /// shares: the first replica to start stores a new key (EC P-256), and every replica signs with
    /// that one, so a token from any replica is good at all of them.</summary>
    public static async Task<SigningCredentials> LoadSharedSigningCredentialsAsync(Wharf.Metadata.IMetadataStore store, CancellationToken cancellationToken)
    {
        using var candidate = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = await store.GetOrAddSecretAsync(SharedSigningKeyName, candidate.ExportPkcs8PrivateKeyPem(), cancellationToken);
        return FromPrivateKeyPem(pem);
    }

    /// <summary>The name of the shared signing key in the metadata store.</summary>
    public const string SharedSigningKeyName = "token-signing-key";

    // An EC key signs ES256, an RSA key RS256: the two algorithms registries and clients share.
    private static SigningCredentials FromPrivateKeyPem(string pem)
    {
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(pem);
            return WithKeyId(new ECDsaSecurityKey(ecdsa), SecurityAlgorithms.EcdsaSha256);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            ecdsa.Dispose();
        }
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return WithKeyId(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256);
    }

    private static SigningCredentials WithKeyId(AsymmetricSecurityKey key, string algorithm)
    {
        // A key id lets validators pick the key; derived from the public key so replicas agree.
        key.KeyId = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        return new SigningCredentials(key, algorithm);
    }

    /// <summary>An external issuer's public keys: a PEM certificate (chain) or a JWKS file.</summary>
    public static IReadOnlyList<SecurityKey> LoadValidationKeys(string? certificateFile, string? jwksFile)
    {
        var keys = new List<SecurityKey>();
        if (certificateFile is not null)
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(certificateFile);
            // X509SecurityKey handles RSA only; an EC certificate's key is wrapped as an ECDsa key.
            keys.AddRange(certificates.Select(c => c.GetECDsaPublicKey() is { } ec
                ? new ECDsaSecurityKey(ec) { KeyId = c.Thumbprint }
                : (SecurityKey)new X509SecurityKey(c)));
        }
        if (jwksFile is not null)
        {
            keys.AddRange(new JsonWebKeySet(File.ReadAllText(jwksFile)).GetSigningKeys());
        }
        return keys;
    }
}
