using System.Net;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// Authentication and access control as real clients meet them: the real server over HTTPS, with a
/// certificate authority the test makes itself, in htpasswd mode and with the built-in token service,
/// driven by skopeo and podman that trust that CA through --cert-dir (TLS verification stays on); and
/// the shipped example configuration (examples/auth/wharf.yaml) started as a new user would start it.
/// The access policy is the example's: alice may pull and push team/*, bob is admin, anyone may pull
/// public/**; the users are the example's htpasswd (alice/alice-secret, bob/bob-secret).
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class AuthEndToEndTests : IDisposable
{
    private const string Alice = "alice";
    private const string AlicePassword = "alice-secret";
    private const string Bob = "bob";
    private const string BobPassword = "bob-secret";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(2);

    private readonly ITestOutputHelper _output;
    private readonly string _workDir;

    public AuthEndToEndTests(ITestOutputHelper output)
    {
        _output = output;
        _workDir = Path.Combine(Path.GetTempPath(), "wharf-e2e-auth-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_workDir);
    }

    private static string ExampleDirectory { get; } = Path.Combine(Auth.RepositoryRoot.Find(), "examples", "auth");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory must not fail the test.
        }
    }

    // ---- 1. htpasswd over HTTPS ----

    [Fact]
    public async Task SkopeoCopy_HtpasswdOverHttps_PushesOnlyWithRightPasswordToAllowedRepository()
    {
        using var certificates = AuthTestCertificates.Create();
        await using var wharf = await WharfProcess.StartAsync(HttpsWithAuth(certificates, "htpasswd"), _output);
        using var skopeo = new Skopeo(_output);
        var layout = OciLayout.Create(Path.Combine(_workDir, "layout"));
        var image = layout.AddImage("v1", layerCount: 2, seed: 71);
        var source = $"oci:{layout.Root}:v1";

        var pushed = await SkopeoCopyAsync(skopeo, certificates, source, $"docker://{wharf.HostPort}/team/app:v1", $"{Alice}:{AlicePassword}");
        pushed.EnsureSuccess(wharf);
        await AssertManifestAsync(wharf, "team/app", "v1", image.Manifest.Digest);

        var wrongPassword = await SkopeoCopyAsync(skopeo, certificates, source, $"docker://{wharf.HostPort}/team/app:v2", $"{Alice}:not-her-password");
        AssertRefused(wrongPassword, wharf, "unauthorized", "invalid username/password");
        await AssertNoManifestAsync(wharf, "team/app", "v2");

        var otherRepository = await SkopeoCopyAsync(skopeo, certificates, source, $"docker://{wharf.HostPort}/other/app:v1", $"{Alice}:{AlicePassword}");
        // 403 DENIED; skopeo's first request is a HEAD (no body), so it reports the bare status.
        AssertRefused(otherRepository, wharf, "denied", "403 (Forbidden)");
        await AssertNoManifestAsync(wharf, "other/app", "v1");
    }

    [Fact]
    public async Task PodmanLoginPushLogout_HtpasswdOverHttps_AnonymousPullIsRefused()
    {
        using var certificates = AuthTestCertificates.Create();
        await using var wharf = await WharfProcess.StartAsync(HttpsWithAuth(certificates, "htpasswd"), _output);
        var target = new Target(wharf, certificates);
        using var podman = target.NewPodman(_output);
        var (id, _) = await LoadImageAsync(podman, "app", seed: 72);
        var teamApp = $"{wharf.HostPort}/team/app:v1";
        await podman.TagAsync(id, teamApp);

        (await LoginAsync(podman, target, Alice, AlicePassword)).EnsureSuccess(wharf);
        var (push, digest) = await PushAsync(podman, target, teamApp);
        push.EnsureSuccess(wharf);
        await AssertManifestAsync(wharf, "team/app", "v1", digest!);
        (await LogoutAsync(podman, target)).EnsureSuccess(wharf);

        var anonymousPull = await PullAsync(podman, target, teamApp);
        AssertRefused(anonymousPull, wharf, "unauthorized", "authentication required");
    }

    // ---- 2. the built-in token service over HTTPS ----

    [Fact]
    public async Task PodmanAcceptanceSteps_TokenServiceOverHttps_AllowAndRefuseAsConfigured()
    {
        using var certificates = AuthTestCertificates.Create();
        await using var wharf = await WharfProcess.StartAsync(HttpsWithAuth(certificates, "token"), _output);

        await RunAcceptanceStepsAsync(new Target(wharf, certificates));
    }

    [Fact]
    public async Task SkopeoCopy_TokenServiceOverHttps_PushesOnlyWithRightPasswordToAllowedRepository()
    {
        using var certificates = AuthTestCertificates.Create();
        await using var wharf = await WharfProcess.StartAsync(HttpsWithAuth(certificates, "token"), _output);
        using var skopeo = new Skopeo(_output);
        var layout = OciLayout.Create(Path.Combine(_workDir, "layout"));
        var image = layout.AddImage("v1", layerCount: 2, seed: 73);
        var source = $"oci:{layout.Root}:v1";
        var teamApp = $"docker://{wharf.HostPort}/team/app:v1";
        var publicX = $"docker://{wharf.HostPort}/public/x:v1";

        (await SkopeoCopyAsync(skopeo, certificates, source, teamApp, $"{Alice}:{AlicePassword}")).EnsureSuccess(wharf);
        await AssertManifestAsync(wharf, "team/app", "v1", image.Manifest.Digest);

        var wrongPassword = await SkopeoCopyAsync(skopeo, certificates, source, $"docker://{wharf.HostPort}/team/app:v2", $"{Alice}:not-her-password");
        AssertRefused(wrongPassword, wharf, "unauthorized", "invalid username/password");
        await AssertNoManifestAsync(wharf, "team/app", "v2");

        var otherRepository = await SkopeoCopyAsync(skopeo, certificates, source, $"docker://{wharf.HostPort}/other/app:v1", $"{Alice}:{AlicePassword}");
        AssertRefused(otherRepository, wharf, "denied", "unauthorized");
        await AssertNoManifestAsync(wharf, "other/app", "v1");

        (await SkopeoCopyAsync(skopeo, certificates, source, publicX, $"{Bob}:{BobPassword}")).EnsureSuccess(wharf);

        var anonymousPublic = (await SkopeoInspectAnonymousAsync(skopeo, certificates, publicX)).EnsureSuccess(wharf);
        Assert.Equal(image.Manifest.Digest, OciLayout.ComputeDigest(anonymousPublic.StdOutBytes));
        var anonymousTeam = await SkopeoInspectAnonymousAsync(skopeo, certificates, teamApp);
        AssertRefused(anonymousTeam, wharf, "unauthorized", "authentication required");
    }

    // ---- 3. the shipped example, as a new user runs it ----

    [Fact]
    public async Task PodmanAcceptanceSteps_ExampleConfigFile_AllowAndRefuseAsConfigured()
    {
        // The example listens on 127.0.0.1:5000 and keeps its data in ../../data; the port and the
        // data directory come from the command line (WharfProcess gives --urls and --Storage:Root,
        // which override the file), everything else from the file as shipped.
        var config = Path.Combine(ExampleDirectory, "wharf.yaml");
        await using var wharf = await WharfProcess.StartAsync(new WharfStartOptions { Arguments = ["--config", config] }, _output);

        // Plain HTTP, which podman accepts only because its registries.conf lists the registry as insecure.
        await RunAcceptanceStepsAsync(new Target(wharf, Certificates: null));
    }

    // ---- 4. HTTP/2 over TLS ----

    [Fact]
    public async Task GetBase_HttpsWithHttp2Requested_NegotiatesHttp2()
    {
        using var certificates = AuthTestCertificates.Create();
        await using var wharf = await WharfProcess.StartAsync(
            new WharfStartOptions { Arguments = certificates.ServerArguments, HttpsRoot = certificates.Authority }, _output);

        var http2 = await AuthRegistryHttp.SendAsync(wharf, HttpMethod.Get, "v2/", null, null, HttpVersion.Version20);
        Assert.True(http2.Status == HttpStatusCode.OK && http2.Version == HttpVersion.Version20, http2.ToString());

        // HTTP/1.1 stays available on the same address for clients that do not offer h2.
        var http11 = await AuthRegistryHttp.SendAsync(wharf, HttpMethod.Get, "v2/", null, null, HttpVersion.Version11);
        Assert.True(http11.Status == HttpStatusCode.OK && http11.Version == HttpVersion.Version11, http11.ToString());
    }

    [Fact]
    public async Task TokenFlow_TokenServiceOverHttp2_ChallengesWithHttpsRealmAndAcceptsItsToken()
    {
        using var certificates = AuthTestCertificates.Create();
        await using var wharf = await WharfProcess.StartAsync(HttpsWithAuth(certificates, "token"), _output);
        using var http = wharf.CreateClient(TimeSpan.FromSeconds(30));
        http.DefaultRequestVersion = HttpVersion.Version20;
        http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;

        var challenge = await AuthRegistryHttp.SendOnceAsync(http, HttpMethod.Get, "v2/", authorization: null);
        Assert.True(challenge.Status == HttpStatusCode.Unauthorized && challenge.Version == HttpVersion.Version20, challenge.ToString());
        Assert.True(challenge.Challenge?.StartsWith($"Bearer realm=\"https://{wharf.HostPort}/auth/token\",service=\"wharf\"", StringComparison.Ordinal) == true,
            challenge.ToString());

        var (answer, token) = await AuthRegistryHttp.GetTokenAsync(
            wharf, "?service=wharf&scope=repository:team/app:pull,push", Alice, AlicePassword, HttpVersion.Version20);
        Assert.True(answer.Status == HttpStatusCode.OK && answer.Version == HttpVersion.Version20 && token is not null, answer.ToString());

        var signedIn = await AuthRegistryHttp.SendOnceAsync(http, HttpMethod.Get, "v2/", new("Bearer", token));
        Assert.True(signedIn.Status == HttpStatusCode.OK && signedIn.Version == HttpVersion.Version20, signedIn.ToString());

        var (refused, _) = await AuthRegistryHttp.GetTokenAsync(
            wharf, "?service=wharf&scope=repository:team/app:pull", Alice, "not-her-password", HttpVersion.Version20);
        Assert.True(refused.Status == HttpStatusCode.Unauthorized, refused.ToString());
    }

    // ---- the CA is what makes the clients trust the server ----

    [Fact]
    public async Task Clients_TestCaNotGiven_RefuseServerCertificate()
    {
        using var certificates = AuthTestCertificates.Create();
        await using var wharf = await WharfProcess.StartAsync(HttpsWithAuth(certificates, "token"), _output);
        using var skopeo = new Skopeo(_output);
        using var podman = new Podman(_output);

        var inspect = await skopeo.RunAsync(
            ["inspect", "--raw", "--no-creds", "--retry-times", "0", $"docker://{wharf.HostPort}/public/x:v1"], ToolTimeout);
        AssertRefused(inspect, wharf, "certificate signed by unknown authority");

        var login = await podman.RunAsync(["login", "--username", Alice, "--password", AlicePassword, wharf.HostPort], ToolTimeout);
        AssertRefused(login, wharf, "certificate signed by unknown authority");
    }

    // ---- the acceptance steps of the example ----

    /// <summary>
    /// alice signs in; she may push team/app but not other/app; bob (admin) pushes public/x; in a fresh
    /// sandbox with no credentials anyone may pull public/x but not team/app; a wrong password is
    /// refused at login. What the server holds is checked over raw HTTP after each push.
    /// </summary>
    private async Task RunAcceptanceStepsAsync(Target target)
    {
        var wharf = target.Wharf;
        var teamApp = $"{wharf.HostPort}/team/app:v1";
        var otherApp = $"{wharf.HostPort}/other/app:v1";
        var publicX = $"{wharf.HostPort}/public/x:v1";
        string imageId;

        using (var podman = target.NewPodman(_output))
        {
            (imageId, _) = await LoadImageAsync(podman, "app", seed: 74);
            foreach (var name in new[] { teamApp, otherApp, publicX })
            {
                await podman.TagAsync(imageId, name);
            }

            (await LoginAsync(podman, target, Alice, AlicePassword)).EnsureSuccess(wharf);

            var (teamPush, teamDigest) = await PushAsync(podman, target, teamApp);
            teamPush.EnsureSuccess(wharf);
            await AssertManifestAsync(wharf, "team/app", "v1", teamDigest!);

            var (otherPush, _) = await PushAsync(podman, target, otherApp);
            AssertRefused(otherPush, wharf, "denied", "unauthorized");
            await AssertNoManifestAsync(wharf, "other/app", "v1");

            (await LoginAsync(podman, target, Bob, BobPassword)).EnsureSuccess(wharf);
            var (publicPush, publicDigest) = await PushAsync(podman, target, publicX);
            publicPush.EnsureSuccess(wharf);
            await AssertManifestAsync(wharf, "public/x", "v1", publicDigest!);
            (await LogoutAsync(podman, target)).EnsureSuccess(wharf);
        }

        using (var anonymous = target.NewPodman(_output))
        {
            var publicPull = (await PullAsync(anonymous, target, publicX)).EnsureSuccess(wharf);
            Assert.Equal(imageId, Podman.NonEmpty(publicPull.LastLine, publicPull));

            var teamPull = await PullAsync(anonymous, target, teamApp);
            AssertRefused(teamPull, wharf, "unauthorized", "authentication required");

            var wrongPassword = await LoginAsync(anonymous, target, Alice, "not-her-password");
            AssertRefused(wrongPassword, wharf, "invalid username/password", "unauthorized");
            var stored = File.ReadAllText(anonymous.Sandbox.AuthFilePath);
            Assert.False(stored.Contains(wharf.HostPort, StringComparison.Ordinal),
                $"A refused login stored credentials for {wharf.HostPort}:\n{stored}");
        }
    }

    // ---- helpers ----

    /// <summary>The registry under test and how the tools reach it: over HTTPS trusting the test CA
    /// (--cert-dir), or over plain HTTP listed as insecure in the sandbox's registries.conf.</summary>
    private sealed record Target(WharfProcess Wharf, AuthTestCertificates? Certificates)
    {
        public string[] CertDirOption => Certificates is null ? [] : ["--cert-dir", Certificates.CertDir];

        public Podman NewPodman(ITestOutputHelper output) =>
            Certificates is null ? new Podman(output, insecureRegistries: Wharf.HostPort) : new Podman(output);
    }

    /// <summary>HTTPS with the test's certificate, and the example's users and rules on the command line.</summary>
    private static WharfStartOptions HttpsWithAuth(AuthTestCertificates certificates, string mode) => new()
    {
        Arguments =
        [
            .. certificates.ServerArguments,
            "--Auth:Mode", mode,
            "--Auth:Htpasswd", Path.Combine(ExampleDirectory, "htpasswd"),
            "--Auth:Admins:0", Bob,
            "--Auth:AnonymousPull:0", "public/**",
            "--Auth:Rules:0:Repositories:0", "team/*",
            "--Auth:Rules:0:Users:0", Alice,
            "--Auth:Rules:0:Actions:0", "pull",
            "--Auth:Rules:0:Actions:1", "push",
        ],
        HttpsRoot = certificates.Authority,
    };

    /// <summary>Writes a small image as an OCI layout and pulls it into podman's store; returns its ID.</summary>
    private async Task<(string Id, OciImage Image)> LoadImageAsync(Podman podman, string name, int seed)
    {
        // Podman names an image pulled from a layout after the layout's path: lower case only.
        var layout = OciLayout.Create(Path.Combine(_workDir, $"{name}-{seed}"));
        var image = layout.AddImage("v1", layerCount: 2, seed: seed);
        var id = await podman.PullAsync($"oci:{layout.Root}:v1", server: null);
        return (id, image);
    }

    private static Task<ToolResult> LoginAsync(Podman podman, Target target, string user, string password) =>
        podman.RunAsync(["login", "--username", user, "--password", password, .. target.CertDirOption, target.Wharf.HostPort], ToolTimeout);

    private static Task<ToolResult> LogoutAsync(Podman podman, Target target) =>
        podman.RunAsync(["logout", target.Wharf.HostPort], ToolTimeout);

    /// <summary>podman push with whatever credentials the sandbox holds; the digest when it succeeded.</summary>
    private static async Task<(ToolResult Result, string? Digest)> PushAsync(Podman podman, Target target, string image)
    {
        var digestFile = podman.Sandbox.NewFilePath("digest");
        var result = await podman.RunAsync(
            ["push", "--signature-policy", podman.Sandbox.PolicyPath, "--digestfile", digestFile, .. target.CertDirOption, image],
            ToolTimeout);
        return (result, result.Succeeded ? File.ReadAllText(digestFile).Trim() : null);
    }

    private static Task<ToolResult> PullAsync(Podman podman, Target target, string image) =>
        podman.RunAsync(["pull", "--signature-policy", podman.Sandbox.PolicyPath, .. target.CertDirOption, image], ToolTimeout);

    /// <summary>skopeo copy to the registry with --dest-creds, trusting the test CA (TLS verification on).</summary>
    private static Task<SkopeoResult> SkopeoCopyAsync(Skopeo skopeo, AuthTestCertificates certificates, string source, string destination, string credentials) =>
        skopeo.RunAsync(
            ["copy", "--retry-times", "0", "--preserve-digests", "--dest-cert-dir", certificates.CertDir,
             "--dest-creds", credentials, source, destination],
            ToolTimeout);

    private static Task<SkopeoResult> SkopeoInspectAnonymousAsync(Skopeo skopeo, AuthTestCertificates certificates, string image) =>
        skopeo.RunAsync(["inspect", "--raw", "--no-creds", "--retry-times", "0", "--cert-dir", certificates.CertDir, image], ToolTimeout);

    /// <summary>bob (admin) sees <paramref name="repository"/>:<paramref name="tag"/> with this digest.</summary>
    private static Task AssertManifestAsync(WharfProcess wharf, string repository, string tag, string digest) =>
        AuthRegistryHttp.AssertManifestAsync(wharf, repository, tag, digest, Bob, BobPassword);

    /// <summary>Even bob (admin) finds no <paramref name="repository"/>:<paramref name="tag"/>: a refused push left nothing.</summary>
    private static Task AssertNoManifestAsync(WharfProcess wharf, string repository, string tag) =>
        AuthRegistryHttp.AssertNoManifestAsync(wharf, repository, tag, Bob, BobPassword);

    private static void AssertRefused(ToolResult result, WharfProcess wharf, params string[] anyOf) =>
        result.EnsureRefused(wharf, anyOf);

    private static void AssertRefused(SkopeoResult result, WharfProcess wharf, params string[] anyOf) =>
        ToolResult.EnsureRefused(result.CommandLine, result.ExitCode, result.StdOut, result.StdErr, wharf, anyOf);
}
