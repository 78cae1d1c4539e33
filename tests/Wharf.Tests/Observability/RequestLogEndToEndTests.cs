using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Wharf.Tests.Auth;
using Wharf.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Wharf.Tests.Observability;

/// <summary>
/// The request log of the real server: one line per request with what an operator looks for, in
/// text or as JSON, and never a credential, even with every category at Debug.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class RequestLogEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _directory = new("wharf-requestlog-");

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public async Task RequestsWithBasicPasswordAndBearerToken_AreLogged_WithoutEitherSecret(string format)
    {
        var htpasswd = TestUsers.WriteHtpasswd(_directory.FullPath, TestUsers.All);
        await using var wharf = await WharfProcess.StartAsync(new WharfStartOptions
        {
            Arguments =
            [
                .. AuthSettings.Standard("token", htpasswd).SelectMany(s => new[] { "--" + s.Key, s.Value }),
                "--Logging:Format", format,
                "--Logging:LogLevel:Default", "Debug",
                "--Logging:LogLevel:Microsoft.AspNetCore", "Debug",
            ],
        }, output);
        using var http = wharf.CreateClient();
        var basic = TestUsers.Basic(TestUsers.Alice, TestUsers.AlicePassword);

        // Basic credentials at the token service, then the token at the registry.
        string token;
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=wharf&scope=repository:team/app:pull,push"))
        {
            request.Headers.Authorization = basic;
            request.Headers.Add("X-Request-Id", "token-request-1");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            token = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/v2/team/app/tags/list"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("X-Request-Id", "bearer-request-2");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("bearer-request-2", response.Headers.GetValues("X-Request-Id").Single());
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/v2/team/app/manifests/latest"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token + "forged");
            request.Headers.Add("X-Request-Id", "forged-request-3");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=wharf"))
        {
            request.Headers.Authorization = TestUsers.Basic(TestUsers.Alice, "wrong-" + TestUsers.AlicePassword);
            request.Headers.Add("X-Request-Id", "wrong-password-4");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var log = await WaitForLogAsync(wharf, "wrong-password-4");
        Assert.DoesNotContain(TestUsers.AlicePassword, log, StringComparison.Ordinal);
        Assert.DoesNotContain(basic.Parameter!, log, StringComparison.Ordinal);
        Assert.DoesNotContain(token, log, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], log, StringComparison.Ordinal); // not even the signature
        Assert.DoesNotContain("Authorization", log, StringComparison.OrdinalIgnoreCase);

        var lines = log.Split('\n').Where(l => l.Contains("bearer-request-2", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        if (format == "json")
        {
            var entry = JsonDocument.Parse(line).RootElement;
            Assert.Equal("Wharf.Requests", entry.GetProperty("Category").GetString());
            Assert.Equal("Information", entry.GetProperty("LogLevel").GetString());
            var state = entry.GetProperty("State");
            Assert.Equal("GET", state.GetProperty("Method").GetString());
            Assert.Equal("tags", state.GetProperty("Operation").GetString());
            Assert.Equal("team/app", state.GetProperty("Repository").GetString());
            Assert.Equal("404", state.GetProperty("Status").ToString());
            Assert.Equal(TestUsers.Alice, state.GetProperty("Caller").GetString());
            Assert.Equal("127.0.0.1", state.GetProperty("ClientAddress").GetString());
            Assert.Equal("bearer-request-2", state.GetProperty("RequestId").GetString());
            Assert.True(double.Parse(state.GetProperty("DurationMs").ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 0);
            // Every line of the log is one JSON object.
            foreach (var logLine in log.Split('\n').Where(l => l.StartsWith('{')))
            {
                JsonDocument.Parse(logLine).Dispose();
            }
        }
        else
        {
            Assert.Contains("GET tags team/app - answered 404", line, StringComparison.Ordinal);
            Assert.Contains($"caller {TestUsers.Alice} at 127.0.0.1, request bearer-request-2", line, StringComparison.Ordinal);
        }
        Assert.Contains(log.Split('\n'), l => l.Contains("forged-request-3", StringComparison.Ordinal) && l.Contains("anonymous", StringComparison.Ordinal));
    }

    private static async Task<string> WaitForLogAsync(WharfProcess wharf, string marker)
    {
        // The console logger writes from a queue of its own; the last line may lag the response.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var log = wharf.RecentOutput(4000);
            if (log.Contains(marker, StringComparison.Ordinal))
            {
                return log;
            }
            await Task.Delay(100);
        }
        return wharf.RecentOutput(4000);
    }
}
