using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// A throw-away certificate authority made by the test itself, and a server certificate it signed for
/// 127.0.0.1 (IP SAN) and localhost, written as PEM files: <see cref="ServerCertificatePath"/> and
/// <see cref="ServerKeyPath"/> for the server's --Tls:Certificate and --Tls:Key, and <see cref="CertDir"/>,
/// a directory holding only <c>ca.crt</c>, for the --cert-dir options of skopeo and podman (which read
/// every <c>*.crt</c> there as a trusted root). Nothing is added to the machine's trust store.
/// </summary>
public sealed class AuthTestCertificates : IDisposable
{
    private AuthTestCertificates(string root, X509Certificate2 authority)
    {
        Root = root;
        Authority = authority;
    }

    public string Root { get; }

    /// <summary>The CA certificate (public part only), for .NET clients' custom trust.</summary>
    public X509Certificate2 Authority { get; }

    public string CertDir => Path.Combine(Root, "certs");

    public string CaCertificatePath => Path.Combine(CertDir, "ca.crt");

    public string ServerCertificatePath => Path.Combine(Root, "server.crt");

    public string ServerKeyPath => Path.Combine(Root, "server.key");

    /// <summary>The server's arguments that turn HTTPS on with these files.</summary>
    public IReadOnlyList<string> ServerArguments => ["--Tls:Certificate", ServerCertificatePath, "--Tls:Key", ServerKeyPath];

    public static AuthTestCertificates Create()
    {
        var root = Path.Combine(Path.GetTempPath(), "wharf-e2e-tls-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(root, "certs"));
        var now = DateTimeOffset.UtcNow;

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Wharf end-to-end test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        var caSubjectKeyId = new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false);
        caRequest.CertificateExtensions.Add(caSubjectKeyId);
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        serverRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(serverRequest.PublicKey, false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(caSubjectKeyId));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        using var server = serverRequest.Create(ca, now.AddDays(-1), now.AddDays(7), serial);

        var certificates = new AuthTestCertificates(root, X509CertificateLoader.LoadCertificate(ca.RawData));
        File.WriteAllText(certificates.CaCertificatePath, ca.ExportCertificatePem() + "\n");
        File.WriteAllText(certificates.ServerCertificatePath, server.ExportCertificatePem() + "\n");
        File.WriteAllText(certificates.ServerKeyPath, serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        return certificates;
    }

    public void Dispose()
    {
        Authority.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory must not fail the test.
        }
    }
}
