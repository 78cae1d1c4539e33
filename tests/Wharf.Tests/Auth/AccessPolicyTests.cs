using Wharf.Auth;

namespace Wharf.Tests.Auth;

public sealed class AccessPolicyTests
{
    private static AccessRule Rule(string[] repositories, string[] actions, string[]? users = null, string[]? groups = null) => new()
    {
        Repositories = [.. repositories],
        Actions = [.. actions],
        Users = [.. users ?? []],
        Groups = [.. groups ?? []],
    };

    private static AccessPolicy Standard() => new(new AuthOptions
    {
        Admins = ["bob"],
        AnonymousPull = ["public/**"],
        Groups = new() { ["readers"] = ["carol", "erin"], ["builders"] = ["erin"] },
        Rules =
        [
            Rule(["team/*"], ["pull", "push"], users: ["alice"]),
            Rule(["team/*"], ["pull"], groups: ["readers"]),
            Rule(["build/**"], ["push"], groups: ["builders"]),
            Rule(["shared/*"], ["pull"], users: ["*"]),
            Rule(["scratch/*", "tmp/*"], ["*"], users: ["alice"]),
        ],
    });

    [Theory]
    [InlineData("alice", "team/app", RegistryAction.Pull | RegistryAction.Push)]
    [InlineData("alice", "team/a/b", RegistryAction.None)]
    [InlineData("alice", "other/app", RegistryAction.None)]
    [InlineData("alice", "scratch/x", RegistryAction.All)]
    [InlineData("alice", "tmp/x", RegistryAction.All)]
    [InlineData("alice", "public/lib", RegistryAction.Pull)]
    [InlineData("alice", "shared/x", RegistryAction.Pull)]
    [InlineData("carol", "team/app", RegistryAction.Pull)]
    [InlineData("carol", "build/x", RegistryAction.None)]
    [InlineData("erin", "team/app", RegistryAction.Pull)]
    [InlineData("erin", "build/a/b", RegistryAction.Push)]
    [InlineData("dave", "team/app", RegistryAction.None)]
    [InlineData("dave", "shared/x", RegistryAction.Pull)]
    [InlineData("dave", "shared/x/y", RegistryAction.None)]
    [InlineData("dave", "public/a/b/c", RegistryAction.Pull)]
    [InlineData("bob", "anything/at/all", RegistryAction.All)]
    [InlineData("bob", "team/app", RegistryAction.All)]
    [InlineData("Alice", "team/app", RegistryAction.None)]
    [InlineData("*", "team/app", RegistryAction.None)]
    [InlineData("readers", "team/app", RegistryAction.None)]
    public void Allowed_SignedInUser_IsTheUnionOfTheirRules(string user, string repository, RegistryAction expected)
    {
        Assert.Equal(expected, Standard().Allowed(user, repository));
    }

    [Theory]
    [InlineData("public/lib", RegistryAction.Pull)]
    [InlineData("public/a/b", RegistryAction.Pull)]
    [InlineData("team/app", RegistryAction.None)]
    [InlineData("shared/x", RegistryAction.None)]
    [InlineData("publicity/x", RegistryAction.None)]
    public void Allowed_Anonymous_OnlyAnonymousPull(string repository, RegistryAction expected)
    {
        Assert.Equal(expected, Standard().Allowed(null, repository));
    }

    [Fact]
    public void Allowed_NoRules_SignedInMayDoEverythingAnonymousNothing()
    {
        var policy = new AccessPolicy(new AuthOptions());

        Assert.Equal(RegistryAction.All, policy.Allowed("anyone", "any/repo"));
        Assert.Equal(RegistryAction.None, policy.Allowed(null, "any/repo"));
        Assert.True(policy.IsAdmin("anyone"));
        Assert.False(policy.IsAdmin(null));
    }

    [Fact]
    public void Allowed_NoRulesWithAnonymousPull_AnonymousPullsOnlyThose()
    {
        var policy = new AccessPolicy(new AuthOptions { AnonymousPull = ["public/*"] });

        Assert.Equal(RegistryAction.Pull, policy.Allowed(null, "public/x"));
        Assert.Equal(RegistryAction.None, policy.Allowed(null, "private/x"));
        Assert.Equal(RegistryAction.All, policy.Allowed("someone", "private/x"));
    }

    [Fact]
    public void IsAdmin_WithRules_OnlyListedAdmins()
    {
        var policy = Standard();

        Assert.True(policy.IsAdmin("bob"));
        Assert.False(policy.IsAdmin("alice"));
        Assert.False(policy.IsAdmin("BOB"));
        Assert.False(policy.IsAdmin(null));
    }

    [Fact]
    public void Allowed_UnknownActionInRule_GrantsNothingExtra()
    {
        var policy = new AccessPolicy(new AuthOptions { Rules = [Rule(["team/*"], ["pull", "admin"], users: ["alice"])] });

        Assert.Equal(RegistryAction.Pull, policy.Allowed("alice", "team/x"));
    }

    [Fact]
    public void Allowed_ActionsAreCaseAndSpaceInsensitive()
    {
        var policy = new AccessPolicy(new AuthOptions { Rules = [Rule(["team/*"], [" PULL ", "Push"], users: ["alice"])] });

        Assert.Equal(RegistryAction.Pull | RegistryAction.Push, policy.Allowed("alice", "team/x"));
    }

    [Fact]
    public void Allowed_GroupOfUnknownName_GrantsNothing()
    {
        var policy = new AccessPolicy(new AuthOptions { Rules = [Rule(["team/*"], ["pull"], groups: ["ghosts"])] });

        Assert.Equal(RegistryAction.None, policy.Allowed("alice", "team/x"));
    }

    [Theory]
    [InlineData("pull", RegistryAction.Pull)]
    [InlineData("push", RegistryAction.Push)]
    [InlineData("delete", RegistryAction.Delete)]
    [InlineData("*", RegistryAction.All)]
    [InlineData("admin", RegistryAction.None)]
    [InlineData("", RegistryAction.None)]
    public void RegistryActions_Parse_KnowsTheProtocolsActions(string text, RegistryAction expected)
    {
        Assert.Equal(expected, RegistryActions.Parse(text));
        Assert.Equal(expected != RegistryAction.None, RegistryActions.IsKnown(text));
    }

    [Fact]
    public void RegistryActions_Format_UsesProtocolOrder()
    {
        Assert.Equal("pull,push,delete", RegistryActions.Format(RegistryAction.All));
        Assert.Equal("pull,push", RegistryActions.Format(RegistryAction.Push | RegistryAction.Pull));
        Assert.Equal("", RegistryActions.Format(RegistryAction.None));
        Assert.Empty(RegistryActions.Names(RegistryAction.None));
    }
}
