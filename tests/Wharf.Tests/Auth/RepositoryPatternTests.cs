using Wharf.Auth;

namespace Wharf.Tests.Auth;

public sealed class RepositoryPatternTests
{
    [Theory]
    [InlineData("team/app", "team/app", true)]
    [InlineData("team/app", "team/app2", false)]
    [InlineData("team/app", "team", false)]
    [InlineData("team/app", "team/app/sub", false)]
    [InlineData("team/*", "team/app", true)]
    [InlineData("team/*", "team/a", true)]
    [InlineData("team/*", "team/a/b", false)]
    [InlineData("team/*", "team", false)]
    [InlineData("team/*", "team/", true)]
    [InlineData("team/*", "teams/app", false)]
    [InlineData("team/*", "other/team/app", false)]
    [InlineData("team/**", "team/app", true)]
    [InlineData("team/**", "team/a/b", true)]
    [InlineData("team/**", "team/a/b/c/d", true)]
    [InlineData("team/**", "team", false)]
    [InlineData("team/**", "teamx/a", false)]
    [InlineData("**", "a", true)]
    [InlineData("**", "a/b/c", true)]
    [InlineData("*", "a", true)]
    [InlineData("*", "a/b", false)]
    [InlineData("*/app", "team/app", true)]
    [InlineData("*/app", "team/x/app", false)]
    [InlineData("**/app", "team/x/app", true)]
    [InlineData("**/app", "team/x/app2", false)]
    [InlineData("team/app-*", "team/app-web", true)]
    [InlineData("team/app-*", "team/app", false)]
    [InlineData("team/*-web", "team/app-web", true)]
    [InlineData("team/*/cache", "team/x/cache", true)]
    [InlineData("team/*/cache", "team/x/y/cache", false)]
    [InlineData(" team/* ", "team/app", true)]
    public void Matches_Pattern_MatchesAsDocumented(string pattern, string repository, bool expected)
    {
        Assert.Equal(expected, new RepositoryPattern(pattern).Matches(repository));
    }

    [Fact]
    public void Matches_IsCaseSensitive()
    {
        Assert.False(new RepositoryPattern("Team/*").Matches("team/app"));
    }

    [Theory]
    [InlineData("**/cache/**")]
    [InlineData("**/**/x")]
    [InlineData("*/*/*/*/*/*/*/*/x")]
    public void Matches_LongestClientNameAgainstWildcards_FinishesQuickly(string pattern)
    {
        // Patterns come from the operator, names from clients: a 255-character name of 128
        // components that almost matches must not make the matcher crawl.
        var name = string.Join('/', Enumerable.Repeat("a", 128));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var matches = new RepositoryPattern(pattern).Matches(name);

        Assert.False(matches);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public void ToString_ReturnsTrimmedPattern()
    {
        Assert.Equal("team/*", new RepositoryPattern("  team/*  ").ToString());
    }
}
