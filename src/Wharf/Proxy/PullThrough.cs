using Microsoft.Extensions.Options;
using Wharf.Distribution;

namespace Wharf.Proxy;

/// <summary>A repository served from an upstream: its local name and its name there.</summary>
internal readonly record struct ProxiedRepository(UpstreamRegistry Upstream, RepositoryName Local, string Remote);

/// <summary>The configured upstreams, and which one a repository name belongs to: the longest
/// matching prefix wins, the mirror (no prefix) takes what no prefix claims.</summary>
internal sealed class PullThrough : IDisposable
{
    private readonly List<UpstreamRegistry> _upstreams;

    public PullThrough(IOptions<ProxyOptions> options)
    {
        var proxy = options.Value;
        _upstreams = [.. proxy.Upstreams.Select(u => new UpstreamRegistry(u, proxy)).OrderByDescending(u => u.Prefix.Length)];
    }

    public IReadOnlyList<UpstreamRegistry> Upstreams => _upstreams;

    public ProxiedRepository? Match(RepositoryName repository)
    {
        var name = repository.Value;
        foreach (var upstream in _upstreams)
        {
            if (upstream.Prefix.Length == 0)
            {
                return new ProxiedRepository(upstream, repository, name);
            }
            // Whole components only: "docker.io" does not claim "docker.iox/app", and the prefix
            // alone names no upstream repository.
            if (name.Length > upstream.Prefix.Length + 1 && name.StartsWith(upstream.Prefix, StringComparison.Ordinal) && name[upstream.Prefix.Length] == '/')
            {
                return new ProxiedRepository(upstream, repository, name[(upstream.Prefix.Length + 1)..]);
            }
        }
        return null;
    }

    public void Dispose()
    {
        foreach (var upstream in _upstreams)
        {
            upstream.Dispose();
        }
    }
}
