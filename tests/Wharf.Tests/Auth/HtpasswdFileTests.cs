using Wharf.Auth;

namespace Wharf.Tests.Auth;

public sealed class HtpasswdFileTests : IDisposable
{
    private readonly TempDir _directory = new();

    public void Dispose() => _directory.Dispose();

    private string Write(params string[] lines)
    {
        var path = _directory.Combine($"htpasswd-{Guid.NewGuid():N}");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Verify_BcryptEntries_RightPasswordTrueWrongFalse()
    {
        var file = HtpasswdFile.Load(Write(
            TestUsers.HtpasswdLine("alice", "alice-secret"),
            TestUsers.HtpasswdLine("bob", "bob-secret")));

        Assert.True(file.Verify("alice", "alice-secret"));
        Assert.True(file.Verify("bob", "bob-secret"));
        Assert.False(file.Verify("alice", "bob-secret"));
        Assert.False(file.Verify("alice", ""));
        Assert.False(file.Verify("alice", "alice-secret "));
        Assert.Equal(["alice", "bob"], file.Users.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("$2y$")]
    [InlineData("$2a$")]
    [InlineData("$2b$")]
    public void Verify_EveryBcryptPrefix_IsAccepted(string prefix)
    {
        var hash = prefix + BCrypt.Net.BCrypt.HashPassword("pw", 4)[4..];
        var file = HtpasswdFile.Load(Write($"user:{hash}"));

        Assert.True(file.Verify("user", "pw"));
    }

    [Fact]
    public void Verify_ExampleFileFromTheRepository_AcceptsDocumentedPasswords()
    {
        var file = HtpasswdFile.Load(Path.Combine(RepositoryRoot.Find(), "examples", "auth", "htpasswd"));

        Assert.True(file.Verify("alice", "alice-secret"));
        Assert.True(file.Verify("bob", "bob-secret"));
        Assert.False(file.Verify("alice", "bob-secret"));
    }

    [Theory]
    [InlineData("mallory")]
    [InlineData("")]
    [InlineData("ALICE")]
    [InlineData("alice ")]
    public void Verify_UnknownUser_False(string user)
    {
        var file = HtpasswdFile.Load(Write(TestUsers.HtpasswdLine("alice", "alice-secret")));

        Assert.False(file.Verify(user, "alice-secret"));
    }

    [Fact]
    public void Verify_UnknownUser_TakesAboutAsLongAsKnownUser()
    {
        // A decoy hash keeps response times from telling which names exist. Cost 8 makes the
        // bcrypt work dominate the timing.
        var file = HtpasswdFile.Load(Write($"alice:{BCrypt.Net.BCrypt.HashPassword("alice-secret", 8)}"));
        file.Verify("alice", "warm-up");
        var known = Time(() => file.Verify("alice", "wrong"));
        var unknown = Time(() => file.Verify("nobody", "wrong"));

        Assert.True(unknown > known / 4, $"unknown user {unknown.TotalMilliseconds} ms vs known user {known.TotalMilliseconds} ms");
    }

    private static TimeSpan Time(Action action)
    {
        var best = TimeSpan.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            action();
            best = clock.Elapsed < best ? clock.Elapsed : best;
        }
        return best;
    }

    [Fact]
    public void Load_CommentsAndBlankLines_AreSkipped()
    {
        var file = HtpasswdFile.Load(Write("# users", "", "   ", TestUsers.HtpasswdLine("alice", "pw"), "  # trailing comment"));

        Assert.Equal(["alice"], file.Users);
        Assert.True(file.Verify("alice", "pw"));
    }

    [Theory]
    [InlineData("mallory:$apr1$9cDbqbWs$1xkPX.VKzCsuaUFFPLLYj.")]
    [InlineData("mallory:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=")]
    [InlineData("mallory:password")]
    [InlineData("mallory:rqXexS6ZhobKA")]
    [InlineData("mallory:$1$abc$def")]
    [InlineData("mallory:$5$rounds=5000$abc$def")]
    [InlineData("mallory:$6$abc$def")]
    [InlineData("mallory:")]
    public void Load_WeakOrUnknownHash_IsRefusedNamingUserAndLine(string entry)
    {
        var path = Write(TestUsers.HtpasswdLine("alice", "pw"), entry);

        var error = Assert.Throws<InvalidDataException>(() => HtpasswdFile.Load(path));

        Assert.Contains("mallory", error.Message, StringComparison.Ordinal);
        Assert.Contains(":2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no-colon-here")]
    [InlineData(":$2y$04$abcdefghijklmnopqrstuv")]
    public void Load_MalformedLine_IsRefused(string entry)
    {
        var path = Write(entry);

        var error = Assert.Throws<InvalidDataException>(() => HtpasswdFile.Load(path));

        Assert.Contains(":1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alice:$2y$")]
    [InlineData("alice:$2y$1")]
    public void Load_TruncatedBcryptHash_IsRefusedAsInvalidData(string entry)
    {
        // Start-up lists InvalidDataException as a settings problem; anything else escapes it.
        var path = Write(entry);

        Assert.Throws<InvalidDataException>(() => HtpasswdFile.Load(path));
    }

    [Theory]
    [InlineData("alice:$2y$04$tooshort")]
    [InlineData("alice:$2y$")]
    [InlineData("alice:$2y$1")]
    [InlineData("alice:$2y$99$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456")]
    public void Load_DamagedBcryptHash_IsRefusedAtLoad(string line)
    {
        var error = Assert.Throws<InvalidDataException>(() => HtpasswdFile.Load(Write(line)));

        Assert.Contains("alice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EmptyFile_NobodyVerifies()
    {
        var file = HtpasswdFile.Load(Write());

        Assert.Empty(file.Users);
        Assert.False(file.Verify("alice", "alice-secret"));
    }

    [Fact]
    public void Load_MissingFile_Throws()
    {
        Assert.ThrowsAny<IOException>(() => HtpasswdFile.Load(_directory.Combine("does-not-exist")));
    }
}

/// <summary>Finds the repository's root (where Wharf.slnx is) from the test's output directory.</summary>
public static class RepositoryRoot
{
    public static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Wharf.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException("Wharf.slnx not found above " + AppContext.BaseDirectory);
    }
}
