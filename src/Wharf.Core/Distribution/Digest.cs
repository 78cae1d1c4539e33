using System.Diagnostics.CodeAnalysis;

namespace Wharf.Distribution;

/// <summary>
/// A content digest, <c>algorithm:encoded</c> (OCI image-spec, "Digests"). Only the registered
/// algorithms sha256 and sha512 are accepted, with lowercase hex of the exact length, so a
/// digest is always safe to use as a path component.
/// </summary>
public readonly record struct Digest
{
    public const string Sha256 = "sha256";
    public const string Sha512 = "sha512";

    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    public string Algorithm { get; }
    public string Hex { get; }

    public override string ToString() => Algorithm is null ? "" : $"{Algorithm}:{Hex}";

    public static Digest Parse(string? value) =>
        TryParse(value, out var digest)
            ? digest
            : throw new RegistryException(ErrorCode.DigestInvalid, $"invalid digest '{InputText.Clip(value)}': expected sha256:<64 hex> or sha512:<128 hex>");

    public static bool TryParse([NotNullWhen(true)] string? value, out Digest digest)
    {
        digest = default;
        if (value is null)
        {
            return false;
        }
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }
        var algorithm = value[..colon];
        var hex = value[(colon + 1)..];
        var expected = HexLength(algorithm);
        if (expected == 0 || hex.Length != expected || !IsLowerHex(hex))
        {
            return false;
        }
        digest = new Digest(algorithm == Sha256 ? Sha256 : Sha512, hex);
        return true;
    }

    /// <summary>Builds a digest from a computed hash.</summary>
    public static Digest FromHash(string algorithm, ReadOnlySpan<byte> hash)
    {
        if (HexLength(algorithm) != hash.Length * 2)
        {
            throw new ArgumentException($"a {algorithm} hash is not {hash.Length} bytes", nameof(hash));
        }
        return new Digest(algorithm == Sha256 ? Sha256 : Sha512, Convert.ToHexStringLower(hash));
    }

    /// <summary>Whether <paramref name="algorithm"/> is one this registry can verify.</summary>
    public static bool IsSupportedAlgorithm(string algorithm) => HexLength(algorithm) != 0;

    private static int HexLength(string algorithm) => algorithm switch
    {
        Sha256 => 64,
        Sha512 => 128,
        _ => 0,
    };

    private static bool IsLowerHex(string s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }
        return true;
    }

}
