using System.Diagnostics.Metrics;
using Wharf.Diagnostics;

namespace Wharf.Auth;

/// <summary>What sign-in and access control refused: a rise means a misconfigured client, or
/// somebody guessing passwords.</summary>
internal static class AuthMetrics
{
    /// <summary>By reason: <c>bad_credentials</c> (a wrong user or password), <c>bad_token</c>
    /// (expired, forged, for another service), <c>denied</c> (signed in, but not allowed).</summary>
    public static readonly Counter<long> Failures = WharfTelemetry.Meter.CreateCounter<long>(
        "wharf.auth.failures", description: "Requests refused for bad credentials or missing rights");

    public static readonly Counter<long> Throttled = WharfTelemetry.Meter.CreateCounter<long>(
        "wharf.auth.throttled", description: "Sign-ins refused because the client address failed too often");
}
