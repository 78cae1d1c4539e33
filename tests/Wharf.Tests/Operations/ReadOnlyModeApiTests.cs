using System.Net;
using Wharf.Tests.Api;

namespace Wharf.Tests.Operations;

/// <summary>Storage:ReadOnly: every write is 405 UNSUPPORTED with a message saying why; pulls work.</summary>
public sealed class ReadOnlyModeApiTests : IDisposable
{
    private readonly WharfApiFactory _writable = new();

    public void Dispose() => _writable.Dispose();

    [Fact]
    public async Task Writes_ReadOnly_Answer405UnsupportedAndPullsStillWork()
    {
        var writer = new RegistryClient(_writable.CreateClient());
        var (_, digest) = await writer.PushImageAsync("ro/app", "v1");
        // The same data directory, served read-only.
        using var readOnly = new WharfApiFactory(("Storage:ReadOnly", "true"), ("Storage:Root", _writable.StorageRoot));
        var reader = new RegistryClient(readOnly.CreateClient());

        using var pull = await reader.Http.GetAsync("/v2/ro/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        Assert.Equal(digest, pull.Headers.GetValues("Docker-Content-Digest").Single());

        foreach (var (method, path) in new[]
        {
            (HttpMethod.Post, "/v2/ro/app/blobs/uploads/"),
            (HttpMethod.Put, "/v2/ro/app/manifests/v2"),
            (HttpMethod.Delete, $"/v2/ro/app/manifests/{digest}"),
            (HttpMethod.Patch, "/v2/ro/app/blobs/uploads/some-id"),
        })
        {
            using var response = await reader.Http.SendAsync(new HttpRequestMessage(method, path) { Content = new ByteArrayContent([1]) });
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            Assert.Equal("UNSUPPORTED", await RegistryClient.ErrorCodeAsync(response));
            Assert.Contains("read-only", await response.Content.ReadAsStringAsync());
        }
        using var still = await reader.Http.GetAsync("/v2/ro/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }
}

/// <summary>The read-only switch, <c>/wharf/read-only</c>: admins turn maintenance on and off
/// without a restart; every server on the same store follows, and a restart keeps it.</summary>
public sealed class ReadOnlySwitchApiTests : IDisposable
{
    private readonly Auth.TempDir _directory = new("wharf-readonly-");
    private readonly List<WharfApiFactory> _factories = [];

    public void Dispose()
    {
        foreach (var factory in _factories)
        {
            factory.Dispose();
        }
        _directory.Dispose();
    }

    private WharfApiFactory Server(string? storageRoot = null, params (string Key, string Value)[] extra)
    {
        var htpasswd = Auth.TestUsers.WriteHtpasswd(_directory.FullPath, Auth.TestUsers.All);
        List<(string, string)> settings = [.. Auth.AuthSettings.Standard("htpasswd", htpasswd), .. extra];
        if (storageRoot is not null)
        {
            settings.Add(("Storage:Root", storageRoot));
        }
        var factory = new WharfApiFactory([.. settings]);
        _factories.Add(factory);
        return factory;
    }

    private static HttpClient As(WharfApiFactory factory, string user, string password)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = Auth.TestUsers.Basic(user, password);
        return client;
    }

    private static async Task<HttpResponseMessage> SwitchAsync(HttpClient client, bool on) =>
        await client.PutAsync("/wharf/read-only", new StringContent($"{{\"readOnly\": {(on ? "true" : "false")}}}", System.Text.Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Admin_SwitchesOnAndOff_WritesRefusedMeanwhile_PullsGoOn()
    {
        var server = Server();
        using var bob = As(server, Auth.TestUsers.Bob, Auth.TestUsers.BobPassword);
        var alice = new RegistryClient(As(server, Auth.TestUsers.Alice, Auth.TestUsers.AlicePassword));
        await alice.PushImageAsync("team/app", "v1");

        using (var on = await SwitchAsync(bob, true))
        {
            Assert.Equal(HttpStatusCode.OK, on.StatusCode);
            var state = System.Text.Json.JsonDocument.Parse(await on.Content.ReadAsStringAsync()).RootElement;
            Assert.True(state.GetProperty("readOnly").GetBoolean());
            Assert.False(state.GetProperty("configured").GetBoolean());
        }
        using (var push = await alice.Http.PostAsync("/v2/team/app/blobs/uploads/", null))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, push.StatusCode);
            Assert.Equal("UNSUPPORTED", await RegistryClient.ErrorCodeAsync(push));
            Assert.Contains("read-only", await push.Content.ReadAsStringAsync());
        }
        using (var pull = await alice.Http.GetAsync("/v2/team/app/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        }
        using (var ready = await alice.Http.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        using (var state = await bob.GetAsync("/wharf/read-only"))
        {
            Assert.Contains("\"readOnly\":true", await state.Content.ReadAsStringAsync());
        }

        using (var off = await SwitchAsync(bob, false))
        {
            Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        }
        await alice.PushImageAsync("team/app", "v2", seed: "after");
    }

    [Fact]
    public async Task NotAnAdmin_CannotSwitch()
    {
        var server = Server();
        using var alice = As(server, Auth.TestUsers.Alice, Auth.TestUsers.AlicePassword);
        using var anonymous = server.CreateClient();

        using var denied = await SwitchAsync(alice, true);
        using var unauthorized = await SwitchAsync(anonymous, true);
        using var peek = await anonymous.GetAsync("/wharf/read-only");

        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, peek.StatusCode);
        using var push = await new RegistryClient(alice).Http.PostAsync("/v2/team/app/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, push.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("true")]
    [InlineData("{\"readOnly\": \"yes\"}")]
    [InlineData("{\"readonly\": true}")]
    public async Task BadBody_Is400(string body)
    {
        var server = Server();
        using var bob = As(server, Auth.TestUsers.Bob, Auth.TestUsers.BobPassword);

        using var response = await bob.PutAsync("/wharf/read-only", new StringContent(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task OtherServersOnTheStore_Follow_AndARestartKeepsIt()
    {
        var first = Server();
        var second = Server(first.StorageRoot);
        using var bob = As(first, Auth.TestUsers.Bob, Auth.TestUsers.BobPassword);
        var aliceOnSecond = new RegistryClient(As(second, Auth.TestUsers.Alice, Auth.TestUsers.AlicePassword));
        await aliceOnSecond.PushImageAsync("team/app", "v1");

        using (var on = await SwitchAsync(bob, true))
        {
            Assert.Equal(HttpStatusCode.OK, on.StatusCode);
        }
        // The second server reads the switch every two seconds.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            using var push = await aliceOnSecond.Http.PostAsync("/v2/team/app/blobs/uploads/", null);
            if (push.StatusCode == HttpStatusCode.MethodNotAllowed)
            {
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "the second server did not follow the switch within 10 s");
            await Task.Delay(200);
        }

        // A server started later on the same store starts read-only.
        var third = Server(first.StorageRoot);
        using var aliceOnThird = As(third, Auth.TestUsers.Alice, Auth.TestUsers.AlicePassword);
        using var refused = await aliceOnThird.PostAsync("/v2/team/app/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, refused.StatusCode);
    }

    [Fact]
    public async Task ConfiguredReadOnly_CannotBeSwitchedOff()
    {
        var server = Server(null, ("Storage:ReadOnly", "true"));
        using var bob = As(server, Auth.TestUsers.Bob, Auth.TestUsers.BobPassword);

        using var off = await SwitchAsync(bob, false);
        using var state = await bob.GetAsync("/wharf/read-only");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, off.StatusCode);
        Assert.Contains("Storage:ReadOnly", await off.Content.ReadAsStringAsync());
        var body = await state.Content.ReadAsStringAsync();
        Assert.Contains("\"readOnly\":true", body);
        Assert.Contains("\"configured\":true", body);
    }
}
