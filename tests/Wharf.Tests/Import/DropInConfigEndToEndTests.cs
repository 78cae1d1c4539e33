using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Wharf.Tests.Auth;
using Wharf.Tests.EndToEnd;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace Wharf.Tests.Import;

/// <summary>
/// Issue 12's acceptance: the sample config.yml Debian's docker-registry ships, with only its data
/// directory, address and htpasswd section changed, runs the real distribution (filled by skopeo
/// with credentials), and then, after <c>wharf import</c>, runs Wharf unchanged: same data, same
/// address, same sign-in, same response headers.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Import")]
public sealed class DropInConfigEndToEndTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Installed by Debian's docker-registry package (CI installs it).</summary>
    private const string DebianSampleConfig = "/etc/docker/registry/config.yml";
    private const string User = "alice";
    private const string Password = "alice-drop-in-password";
    private const string Realm = "drop-in-realm";

    private readonly string _work = Path.Combine(Path.GetTempPath(), "wharf-dropin-e2e-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory must not fail the test.
        }
    }

    [Fact]
    public async Task DebianSampleConfig_DistributionThenWharf_ServesTheSameImagesBehindTheSameSignIn()
    {
        Assert.True(File.Exists(DebianSampleConfig),
            $"{DebianSampleConfig} is missing: it comes with Debian's docker-registry package (apt-get install docker-registry)");
        using var skopeo = new Skopeo(output);
        Directory.CreateDirectory(_work);
        var root = Path.Combine(_work, "registry");
        Directory.CreateDirectory(root);
        var htpasswd = Path.Combine(_work, "htpasswd");
        await File.WriteAllTextAsync(htpasswd, TestUsers.HtpasswdLine(User, Password) + "\n");
        var port = DockerRegistryProcess.FindFreePort();
        var config = Path.Combine(_work, "config.yml");
        await File.WriteAllTextAsync(config, RewriteSample(await File.ReadAllTextAsync(DebianSampleConfig), root, port, htpasswd));
        output.WriteLine(await File.ReadAllTextAsync(config));
        var host = $"127.0.0.1:{port}";
        var credentials = $"{User}:{Password}";
        var source = OciLayout.Create(Path.Combine(_work, "source"));
        source.AddImage("v1", layerCount: 2, seed: 41);
        source.AddImage("v2", layerCount: 1, seed: 42);

        // 1. distribution, with its own (rewritten) sample file, filled through its API with credentials.
        string pushedDigest;
        await using (var registry = await DockerRegistryProcess.StartWithConfigAsync(config, root, port, output))
        {
            (await CopyAsync(skopeo, $"oci:{source.Root}:v1", $"docker://{host}/drop/app:v1", credentials)).EnsureSuccess();
            pushedDigest = OciLayout.ComputeDigest((await InspectAsync(skopeo, $"docker://{host}/drop/app:v1", credentials)).EnsureSuccess().StdOutBytes);
            await registry.StopAsync();
        }

        // 2. Adopt the data directory.
        var import = await WharfCli.RunAsync(output, "import", root);
        Assert.True(import.ExitCode == 0, import.StdErr);

        // 3. Wharf with the very same file: its address, its data, its htpasswd, its headers.
        await using var wharf = await WharfProcess.StartAsync(new WharfStartOptions { Arguments = ["--config", config], PortFromConfig = port }, output);
        Assert.Contains("these distribution settings have no meaning in Wharf and are ignored: log, storage.cache, health", wharf.RecentOutput(), StringComparison.Ordinal);

        using (var http = wharf.CreateClient())
        {
            using var anonymous = await http.GetAsync(new Uri("v2/", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains($"realm=\"{Realm}\"", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            Assert.Equal(["nosniff"], anonymous.Headers.GetValues("X-Content-Type-Options"));

            using var wrong = new HttpRequestMessage(HttpMethod.Get, new Uri("v2/", UriKind.Relative));
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:wrong")));
            using var refused = await http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

            using var signedIn = new HttpRequestMessage(HttpMethod.Get, new Uri("v2/", UriKind.Relative));
            signedIn.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
            using var ok = await http.SendAsync(signedIn);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        // What distribution stored comes back byte for byte, only with credentials.
        Assert.False((await InspectAsync(skopeo, $"docker://{host}/drop/app:v1", credentials: null)).Succeeded);
        Assert.Equal(pushedDigest, OciLayout.ComputeDigest((await InspectAsync(skopeo, $"docker://{host}/drop/app:v1", credentials)).EnsureSuccess(wharf).StdOutBytes));
        var pulled = Path.Combine(_work, "pulled-v1");
        (await CopyAsync(skopeo, $"docker://{host}/drop/app:v1", $"dir:{pulled}", credentials)).EnsureSuccess(wharf);
        Assert.Equal(pushedDigest, OciLayout.ComputeFileDigest(Path.Combine(pulled, "manifest.json")));

        // A new push to Wharf, pulled back.
        (await CopyAsync(skopeo, $"oci:{source.Root}:v2", $"docker://{host}/drop/app:v2", credentials)).EnsureSuccess(wharf);
        var expected = OciLayout.ReadTag(source.Root, "v2").Digest;
        var pulledV2 = Path.Combine(_work, "pulled-v2");
        (await CopyAsync(skopeo, $"docker://{host}/drop/app:v2", $"dir:{pulledV2}", credentials)).EnsureSuccess(wharf);
        Assert.Equal(expected, OciLayout.ComputeFileDigest(Path.Combine(pulledV2, "manifest.json")));
    }

    /// <summary>The sample with only rootdirectory, http.addr and auth.htpasswd changed.</summary>
    private static string RewriteSample(string sample, string root, int port, string htpasswd)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(sample));
        var top = (YamlMappingNode)stream.Documents[0].RootNode;
        var storage = (YamlMappingNode)top.Children[new YamlScalarNode("storage")];
        ((YamlMappingNode)storage.Children[new YamlScalarNode("filesystem")]).Children[new YamlScalarNode("rootdirectory")] = new YamlScalarNode(root);
        ((YamlMappingNode)top.Children[new YamlScalarNode("http")]).Children[new YamlScalarNode("addr")] = new YamlScalarNode($"127.0.0.1:{port}");
        top.Children[new YamlScalarNode("auth")] = new YamlMappingNode
        {
            { "htpasswd", new YamlMappingNode { { "realm", Realm }, { "path", htpasswd } } },
        };
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    // `--preserve-digests`: what is pushed is the layout's manifest, byte for byte.
    private static Task<SkopeoResult> CopyAsync(Skopeo skopeo, string from, string to, string credentials) => skopeo.RunAsync(
        ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--retry-times", "0", "--preserve-digests",
         .. from.StartsWith("docker://", StringComparison.Ordinal) ? new[] { "--src-creds", credentials } : [],
         .. to.StartsWith("docker://", StringComparison.Ordinal) ? new[] { "--dest-creds", credentials } : [],
         from, to]);

    private static Task<SkopeoResult> InspectAsync(Skopeo skopeo, string image, string? credentials) => skopeo.RunAsync(
        ["inspect", "--raw", "--tls-verify=false", "--retry-times", "0", .. credentials is null ? new[] { "--no-creds" } : ["--creds", credentials], image]);
}
