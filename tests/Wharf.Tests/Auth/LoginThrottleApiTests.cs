using System.Net;
using System.Text;
using Wharf.Tests.Api;

namespace Wharf.Tests.Auth;

/// <summary>
/// Failed sign-ins are counted per client address, so these tests run Wharf on Kestrel (a real
/// socket, a real remote address), each on a registry of its own: MaxFailedLogins=3 within a
/// two-second window.
/// </summary>
public sealed class LoginThrottleApiTests : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);
    private readonly TempDir _directory = new();
    private readonly List<WharfApiFactory> _factories = [];

    public void Dispose()
    {
        foreach (var factory in _factories)
        {
            factory.Dispose();
        }
        _directory.Dispose();
    }

    private HttpClient Start(string mode = "htpasswd")
    {
        var htpasswd = TestUsers.WriteHtpasswd(_directory.FullPath, TestUsers.All);
        var factory = new WharfApiFactory(
            ("Auth:Mode", mode),
            ("Auth:Htpasswd", htpasswd),
            ("Auth:MaxFailedLogins", "3"),
            ("Auth:FailedLoginWindow", "00:00:02"));
        factory.UseKestrel(0);
        _factories.Add(factory);
        return factory.CreateClient();
    }

    private static async Task<HttpResponseMessage> GetBaseAsync(HttpClient client, string user, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/");
        request.Headers.Authorization = TestUsers.Basic(user, password);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task GetBase_AfterMaxFailedLogins_Returns429EvenWithRightPassword()
    {
        using var client = Start();
        for (var i = 0; i < 3; i++)
        {
            using var failed = await GetBaseAsync(client, TestUsers.Alice, "wrong-" + i);
            await ErrorBody.AssertAsync(failed, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        using var right = await GetBaseAsync(client, TestUsers.Alice, TestUsers.AlicePassword);
        using var otherUser = await GetBaseAsync(client, TestUsers.Bob, TestUsers.BobPassword);

        foreach (var response in new[] { right, otherUser })
        {
            await ErrorBody.AssertAsync(response, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
            var retryAfter = int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, (int)Window.TotalSeconds);
        }
    }

    [Fact]
    public async Task GetBase_UnknownUsersCountAsFailures_Returns429()
    {
        using var client = Start();
        foreach (var user in new[] { "mallory", "trudy", "eve" })
        {
            using var failed = await GetBaseAsync(client, user, "guess");
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var response = await GetBaseAsync(client, TestUsers.Alice, TestUsers.AlicePassword);

        await ErrorBody.AssertAsync(response, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
    }

    [Fact]
    public async Task GetBase_ThrottleExpiresAfterWindow_Returns200()
    {
        using var client = Start();
        for (var i = 0; i < 3; i++)
        {
            (await GetBaseAsync(client, TestUsers.Alice, "wrong")).Dispose();
        }
        using (var throttled = await GetBaseAsync(client, TestUsers.Alice, TestUsers.AlicePassword))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        }

        await Task.Delay(Window + TimeSpan.FromMilliseconds(300));
        using var response = await GetBaseAsync(client, TestUsers.Alice, TestUsers.AlicePassword);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task GetBase_FewerFailuresThanMaximum_RightPasswordStillWorks()
    {
        using var client = Start();
        for (var i = 0; i < 2; i++)
        {
            (await GetBaseAsync(client, TestUsers.Alice, "wrong")).Dispose();
        }

        using var response = await GetBaseAsync(client, TestUsers.Alice, TestUsers.AlicePassword);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task GetBase_SuccessResetsTheCount_NoThrottle()
    {
        using var client = Start();
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 2; i++)
            {
                (await GetBaseAsync(client, TestUsers.Alice, "wrong")).Dispose();
            }
            using var ok = await GetBaseAsync(client, TestUsers.Alice, TestUsers.AlicePassword);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
    }

    [Fact]
    public async Task GetBase_AnonymousRequests_DoNotCountAsFailures()
    {
        using var client = Start();
        for (var i = 0; i < 10; i++)
        {
            using var anonymous = await client.GetAsync("/v2/");
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var response = await GetBaseAsync(client, TestUsers.Alice, TestUsers.AlicePassword);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AuthToken_AfterMaxFailedLogins_Returns429()
    {
        using var client = Start("token");
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=wharf");
            request.Headers.Authorization = TestUsers.Basic(TestUsers.Alice, "wrong");
            using var failed = await client.SendAsync(request);
            await ErrorBody.AssertAsync(failed, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        using var form = await client.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = TestUsers.Alice,
            ["password"] = TestUsers.AlicePassword,
            ["service"] = "wharf",
        }));
        using var basic = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=wharf");
        basic.Headers.Authorization = TestUsers.Basic(TestUsers.Alice, TestUsers.AlicePassword);
        using var get = await client.SendAsync(basic);

        await ErrorBody.AssertAsync(form, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
        await ErrorBody.AssertAsync(get, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
        Assert.True(get.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task Push_WhileThrottled_Returns429AndWritesNothing()
    {
        using var client = Start();
        for (var i = 0; i < 3; i++)
        {
            (await GetBaseAsync(client, TestUsers.Alice, "wrong")).Dispose();
        }
        client.DefaultRequestHeaders.Authorization = TestUsers.Basic(TestUsers.Alice, TestUsers.AlicePassword);
        var bytes = Encoding.UTF8.GetBytes("throttled push");

        using var push = await Push.BlobAsync(client, "team/throttled", bytes);

        await ErrorBody.AssertAsync(push, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
        await Task.Delay(Window + TimeSpan.FromMilliseconds(300));
        using var blob = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/team/throttled/blobs/{RegistryClient.DigestOf(bytes)}"));
        Assert.Equal(HttpStatusCode.NotFound, blob.StatusCode);
    }
}
