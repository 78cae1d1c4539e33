using Wharf.Distribution;

namespace Wharf.Proxy;

/// <summary>Pull-through cache settings (configuration section <c>Proxy</c>): the registries Wharf
/// mirrors, each under a repository prefix of its own.</summary>
public sealed class ProxyOptions
{
    public const string Section = "Proxy";

    /// <summary>The mirrored registries; repositories under none of their prefixes stay local.</summary>
    public List<UpstreamOptions> Upstreams { get; set; } = [];

    /// <summary>How long opening a connection to an upstream may take. Short, so that an upstream
    /// that is down answers "unreachable" (or a stale tag) quickly instead of hanging pulls.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long an upstream may take to answer a request's headers once connected.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where blobs on their way from an upstream are spooled for the clients waiting for
    /// them (the system's temporary directory by default); a spool lives as long as its fetch.
    /// Put it on a disk, not a RAM-backed tmpfs, when large blobs are proxied.</summary>
    public string? SpoolDirectory { get; set; }

    /// <summary>How long a cached manifest may go unpulled before it is deleted (with its tags),
    /// after which garbage collection frees the blobs nothing else uses. Unset: kept for ever.</summary>
    public TimeSpan? MaxAge { get; set; }

    public bool Enabled => Upstreams.Count > 0;

    public IEnumerable<string> Validate()
    {
        if (ConnectTimeout <= TimeSpan.Zero)
        {
            yield return "Proxy:ConnectTimeout must be positive";
        }
        if (ResponseTimeout <= TimeSpan.Zero)
        {
            yield return "Proxy:ResponseTimeout must be positive";
        }
        if (MaxAge <= TimeSpan.Zero)
        {
            yield return "Proxy:MaxAge must be positive (or unset: cached images are kept)";
        }
        if (SpoolDirectory is { Length: > 0 } spool && !Directory.Exists(spool))
        {
            yield return $"Proxy:SpoolDirectory: {spool} does not exist";
        }
        var prefixes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Upstreams.Count; i++)
        {
            var upstream = Upstreams[i];
            var at = $"Proxy:Upstreams:{i}";
            if (upstream is null)
            {
                yield return $"{at}: empty entry";
                continue;
            }
            var prefix = upstream.NormalizedPrefix;
            if (prefix.Length > 0 && !RepositoryName.TryParse(prefix, out _))
            {
                yield return $"{at}:Prefix: '{prefix}' is not a repository name prefix (lowercase path components such as docker.io or ghcr.io)";
            }
            if (!prefixes.Add(prefix))
            {
                yield return prefix.Length == 0
                    ? $"{at}:Prefix: only one upstream may be the mirror (no prefix)"
                    : $"{at}:Prefix: '{prefix}' is already the prefix of another upstream";
            }
            if (!Uri.TryCreate(upstream.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Query.Length > 0)
            {
                yield return $"{at}:Url: '{upstream.Url}' is not an http:// or https:// registry URL";
            }
            if (upstream.TagTtl < TimeSpan.Zero)
            {
                yield return $"{at}:TagTtl must not be negative";
            }
            if (string.IsNullOrEmpty(upstream.Username) != string.IsNullOrEmpty(upstream.Password))
            {
                yield return $"{at}: Username and Password go together";
            }
            if (upstream.CaFile is { Length: > 0 } ca && !File.Exists(ca))
            {
                yield return $"{at}:CaFile: {ca} does not exist";
            }
        }
    }
}

/// <summary>One mirrored registry.</summary>
public sealed class UpstreamOptions
{
    /// <summary>The local repository prefix, e.g. <c>docker.io</c>: <c>docker.io/library/alpine</c>
    /// is the upstream's <c>library/alpine</c>. Empty for the mirror mode that docker's, containerd's
    /// and podman's registry mirrors expect: every repository outside the other prefixes, by its
    /// own name.</summary>
    public string? Prefix { get; set; }

    /// <summary>The upstream registry, e.g. <c>https://registry-1.docker.io</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>Credentials for the upstream: sent as Basic, or to its token service when it
    /// answers with a Bearer challenge (Docker Hub's flow). Anonymous without them.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>How long a cached tag is served without asking the upstream whether it moved.</summary>
    public TimeSpan TagTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>PEM file of the certificate authorities an https upstream's certificate must chain
    /// to (a private registry), in place of the system's.</summary>
    public string? CaFile { get; set; }

    internal string NormalizedPrefix => (Prefix ?? "").Trim().Trim('/');
}
