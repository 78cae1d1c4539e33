namespace Wharf.Auth;

/// <summary>
/// Users and bcrypt password hashes in the htpasswd format that Apache and CNCF distribution use
/// (<c>user:$2y$...</c>). Other hash types (MD5 <c>$apr1$</c>, SHA1 <c>{SHA}</c>, crypt, plain) are
/// refused when the file is loaded: they are too weak to accept silently.
/// </summary>
public sealed class HtpasswdFile
{
    private readonly Dictionary<string, string> _hashes;

    // A hash of a random password at the file's own cost: checking an unknown user against it takes
    // as long as checking a real one, so response times do not reveal which user names exist.
    private readonly string _decoyHash;

    private HtpasswdFile(Dictionary<string, string> hashes)
    {
        _hashes = hashes;
        var cost = hashes.Values.Select(h => int.Parse(h.AsSpan(4, 2), System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(10).First();
        _decoyHash = BCrypt.Net.BCrypt.HashPassword(Guid.NewGuid().ToString("N"), cost);
    }

    public IReadOnlyCollection<string> Users => _hashes.Keys;

    public static HtpasswdFile Load(string path)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: expected user:hash");
            }
            var user = line[..colon];
            var hash = line[(colon + 1)..];
            if (!hash.StartsWith("$2y$", StringComparison.Ordinal) && !hash.StartsWith("$2a$", StringComparison.Ordinal) && !hash.StartsWith("$2b$", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{path}:{lineNumber}: user '{user}' does not have a bcrypt hash ($2y$); create entries with 'htpasswd -B'");
            }
            if (!IsWellFormedBcrypt(hash))
            {
                throw new InvalidDataException($"{path}:{lineNumber}: the bcrypt hash of user '{user}' is damaged (expected $2y$<cost>$ and 53 more characters)");
            }
            hashes[user] = hash;
        }
        return new HtpasswdFile(hashes);
    }

    // $2y$ + two-digit cost (4..31) + $ + 22 characters of salt + 31 of hash, in bcrypt's base64 alphabet.
    private static bool IsWellFormedBcrypt(string hash)
    {
        if (hash.Length != 60 || hash[6] != '$' || !int.TryParse(hash.AsSpan(4, 2), out var cost) || cost is < 4 or > 31)
        {
            return false;
        }
        foreach (var c in hash.AsSpan(7))
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '/'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Checks a password. Takes bcrypt's time whether or not the user exists.</summary>
    public bool Verify(string user, string password)
    {
        var known = _hashes.TryGetValue(user, out var hash);
        bool matches;
        try
        {
            matches = BCrypt.Net.BCrypt.Verify(password, known ? hash : _decoyHash);
        }
        catch (Exception e) when (e is BCrypt.Net.SaltParseException or ArgumentException or FormatException)
        {
            // A hash the library cannot read never matches; it must not become a 500.
            matches = false;
        }
        return known && matches;
    }
}
