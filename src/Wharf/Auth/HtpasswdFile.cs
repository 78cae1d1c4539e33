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
        var cost = hashes.Values.Select(h => int.TryParse(h.AsSpan(4, 2), out var c) ? c : 10).DefaultIfEmpty(10).First();
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
            hashes[user] = hash;
        }
        return new HtpasswdFile(hashes);
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
        catch (BCrypt.Net.SaltParseException)
        {
            matches = false;
        }
        return known && matches;
    }
}
