using Wharf.Events;

namespace Wharf.Tests.Notifications;

/// <summary>NotificationOptions.Validate: what stops start-up about an endpoint's settings.</summary>
public sealed class NotificationOptionsTests
{
    private static NotificationOptions WithHeaders(Dictionary<string, List<string>> headers) => new()
    {
        Endpoints = [new NotificationEndpoint { Name = "hook", Url = "https://hooks.example.com/event", Headers = headers }],
    };

    [Fact]
    public void Validate_ValidHeaders_NoProblems()
    {
        var options = WithHeaders(new() { ["Authorization"] = ["Bearer abc"], ["X-Two"] = ["a", "b"] });

        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Validate_HeaderNameNotAToken_IsAProblem()
    {
        var options = WithHeaders(new() { ["Bad Name"] = ["x"] });

        Assert.Equal(["Notifications:Endpoints:0:Headers: 'Bad Name' is not a header name"], options.Validate());
    }

    [Theory]
    [InlineData("Bearer abc\r\nX-Injected: 1")]
    [InlineData("two\nlines")]
    [InlineData("nul\0")]
    public void Validate_HeaderValueWithCrLfOrNul_IsAProblem(string value)
    {
        var options = WithHeaders(new() { ["Authorization"] = ["fine", value] });

        Assert.Equal(["Notifications:Endpoints:0:Headers:Authorization: a value must not contain CR, LF or NUL"], options.Validate());
    }

    [Fact]
    public void Validate_NullHeaderValue_IsAProblemNotACrash()
    {
        var options = WithHeaders(new() { ["Authorization"] = ["fine", null!] });

        Assert.Equal(["Notifications:Endpoints:0:Headers:Authorization:1: a value is required"], options.Validate());
    }
}
