using System.Security.Cryptography;
using System.Text;
using Wharf.Distribution;

namespace Wharf.Core.Tests.TestSupport;

/// <summary>Digests of known content, computed the same way the registry computes them.</summary>
public static class TestDigests
{
    public static Digest Sha256Of(byte[] content) => Digest.FromHash(Digest.Sha256, SHA256.HashData(content));

    public static Digest Sha256Of(string content) => Sha256Of(Encoding.UTF8.GetBytes(content));

    public static Digest Sha512Of(byte[] content) => Digest.FromHash(Digest.Sha512, SHA512.HashData(content));

    public static Digest Sha512Of(string content) => Sha512Of(Encoding.UTF8.GetBytes(content));
}
