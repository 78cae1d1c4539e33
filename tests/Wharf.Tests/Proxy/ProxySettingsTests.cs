using Microsoft.Extensions.Options;
using Wharf.Distribution;
using Wharf.Proxy;

namespace Wharf.Tests.Proxy;

/// <summary>The pull-through cache's settings, which upstream a repository belongs to, and the
/// reading of an upstream's sign-in challenge.</summary>
public sealed class ProxySettingsTests
{
    private static ProxyOptions Options(params UpstreamOptions[] upstreams) => new() { Upstreams = [.. upstreams] };

    [Fact]
    public void ValidUpstreams_HaveNoProblems() =>
        Assert.Empty(Options(
            new UpstreamOptions { Prefix = "docker.io", Url = "https://registry-1.docker.io" },
            new UpstreamOptions { Url = "http://127.0.0.1:5000", Username = "u", Password = "p" }).Validate());

    [Theory]
    [InlineData("Docker.IO", "https://x.test", null, null, "is not a repository name prefix")]
    [InlineData("a.test", "ftp://x.test", null, null, "is not an http:// or https:// registry URL")]
    [InlineData("a.test", "not a url", null, null, "is not an http:// or https:// registry URL")]
    [InlineData("a.test", "https://x.test", "user", null, "Username and Password go together")]
    public void BadUpstream_IsNamed(string prefix, string url, string? user, string? password, string expected)
    {
        var problems = Options(new UpstreamOptions { Prefix = prefix, Url = url, Username = user, Password = password }).Validate().ToList();

        Assert.Contains(problems, p => p.StartsWith("Proxy:Upstreams:0", StringComparison.Ordinal) && p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void TwoMirrors_OrTwiceTheSamePrefix_AreNamed()
    {
        var problems = Options(
            new UpstreamOptions { Url = "http://a.test" }, new UpstreamOptions { Prefix = "", Url = "http://b.test" },
            new UpstreamOptions { Prefix = "x.test", Url = "http://c.test" }, new UpstreamOptions { Prefix = "x.test/", Url = "http://d.test" }).Validate().ToList();

        Assert.Contains(problems, p => p.Contains("only one upstream may be the mirror", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'x.test' is already the prefix", StringComparison.Ordinal));
    }

    [Fact]
    public void NegativeTtl_MissingCaFile_AndZeroTimeouts_AreNamed()
    {
        var options = Options(new UpstreamOptions { Prefix = "a.test", Url = "https://a.test", TagTtl = TimeSpan.FromSeconds(-1), CaFile = "/nonexistent/ca.pem" });
        options.ConnectTimeout = TimeSpan.Zero;

        var problems = options.Validate().ToList();

        Assert.Contains(problems, p => p.Contains("TagTtl must not be negative", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("/nonexistent/ca.pem does not exist", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Proxy:ConnectTimeout must be positive", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("docker.io/library/alpine", "docker.io", "library/alpine")]
    [InlineData("ghcr.io/other/tool", "ghcr.io", "other/tool")]
    [InlineData("ghcr.io/org/tool/sub", "ghcr.io/org", "tool/sub")] // the longest prefix wins
    [InlineData("library/alpine", "", "library/alpine")] // the mirror takes the rest
    [InlineData("docker.iox/app", "", "docker.iox/app")] // whole components only
    [InlineData("docker.io", "", "docker.io")] // the prefix alone names no upstream repository
    public void Repository_BelongsToTheLongestMatchingPrefix(string name, string prefix, string remote)
    {
        using var pullThrough = new PullThrough(Microsoft.Extensions.Options.Options.Create(Options(
            new UpstreamOptions { Prefix = "docker.io", Url = "http://127.0.0.1:1" },
            new UpstreamOptions { Prefix = "ghcr.io", Url = "http://127.0.0.1:2" },
            new UpstreamOptions { Prefix = "ghcr.io/org", Url = "http://127.0.0.1:3" },
            new UpstreamOptions { Url = "http://127.0.0.1:4" })));

        var match = pullThrough.Match(RepositoryName.Parse(name));

        Assert.NotNull(match);
        Assert.Equal(prefix, match.Value.Upstream.Prefix);
        Assert.Equal(remote, match.Value.Remote);
    }

    [Fact]
    public void WithoutAMirror_NamesOutsideEveryPrefixAreLocal()
    {
        using var pullThrough = new PullThrough(Microsoft.Extensions.Options.Options.Create(Options(new UpstreamOptions { Prefix = "docker.io", Url = "http://127.0.0.1:1" })));

        Assert.Null(pullThrough.Match(RepositoryName.Parse("team/app")));
    }

    [Fact]
    public void BearerChallenge_ParametersAreRead_QuotedAndBare()
    {
        var parameters = UpstreamTokens.ChallengeParameters("realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\", scope=repository:library/alpine:pull,error=\"say \\\"hi\\\"\"");

        Assert.Equal("https://auth.docker.io/token", parameters["realm"]);
        Assert.Equal("registry.docker.io", parameters["service"]);
        Assert.Equal("repository:library/alpine:pull", parameters["scope"]);
        Assert.Equal("say \"hi\"", parameters["error"]);
    }

    [Fact]
    public void StaleWarning_KeepsToWhatAQuotedHeaderStringMayHold() =>
        Assert.Equal("110 wharf \"upstream x said 'no' \\ and ' ok\"".Replace("\\", "'", StringComparison.Ordinal),
            ManifestMirror.StaleWarning("upstream x said \"no\" \\ and \u00e9 ok"));

    [Fact]
    public void BadUpstream_StopsTheServerAtStart()
    {
        var storage = Path.Combine(Path.GetTempPath(), "wharf-proxy-check-" + Guid.NewGuid().ToString("N"));
        try
        {
            var problems = Configuration.StartupChecks.Run(storage, ("Proxy:Upstreams:0:Prefix", "docker.io"), ("Proxy:Upstreams:0:Url", "registry-1.docker.io"));

            Assert.Contains(problems, p => p.Contains("Proxy:Upstreams:0:Url: 'registry-1.docker.io' is not an http:// or https:// registry URL", StringComparison.Ordinal));
        }
        finally
        {
            Wharf.Tests.Api.SqlitePools.ReleaseUnder(storage);
            if (Directory.Exists(storage))
            {
                Directory.Delete(storage, recursive: true);
            }
        }
    }
}
