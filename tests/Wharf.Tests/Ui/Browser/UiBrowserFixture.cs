using System.Net.Http.Headers;
using Wharf.Tests.Auth;
using Wharf.Tests.EndToEnd;

namespace Wharf.Tests.Ui.Browser;

/// <summary>
/// One real Wharf server for the browser tests, with authentication on under the standard access
/// rules (<see cref="AuthSettings.Standard"/>: bob is an admin, carol may only pull team/*, anyone
/// may pull public/**), filled by skopeo with real images: an image with a signature-like referrer,
/// an index of two platforms, and a public image.
/// </summary>
public sealed class UiBrowserFixture : IAsyncLifetime
{
    private readonly string _workDir = Path.Combine(Path.GetTempPath(), "wharf-ui-browser-" + Guid.NewGuid().ToString("N"));

    public WharfProcess Wharf { get; private set; } = null!;

    public OciImage App { get; private set; } = null!;

    public OciDescriptor Signature { get; private set; } = null!;

    public OciImageIndex Multi { get; private set; } = null!;

    public const string SignatureType = "application/vnd.example.signature.v1";

    /// <summary>Where the screenshots go: the tests' output directory.</summary>
    public static string ScreenshotDirectory => Path.Combine(AppContext.BaseDirectory, "ui-screenshots");

    public Uri Page(string path) => new(Wharf.BaseAddress, path);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_workDir);
        var htpasswd = TestUsers.WriteHtpasswd(_workDir, TestUsers.All);
        Wharf = await WharfProcess.StartAsync(new WharfStartOptions
        {
            Arguments = [.. AuthSettings.Standard("htpasswd", htpasswd).Select(s => $"--{s.Key}={s.Value}")],
        });

        var layout = OciLayout.Create(Path.Combine(_workDir, "layout"));
        App = layout.AddImage("v1", layerCount: 3, seed: 31);
        Signature = layout.AddReferrer("sig", App.Manifest, SignatureType, "release-bot");
        Multi = layout.AddTwoPlatformIndex("latest", seed: 32);
        layout.AddImage("base", layerCount: 1, seed: 33);
        layout.AddImage("extra", layerCount: 1, seed: 34);

        using var skopeo = new Skopeo();
        var admin = $"{TestUsers.Bob}:{TestUsers.BobPassword}";
        foreach (var (tag, destination) in new[]
        {
            ("v1", "team/app:v1"), ("sig", "team/app:sig"), ("extra", "team/app:to-delete"),
            ("latest", "team/multi:latest"), ("base", "public/base:1.0"), ("base", "team/tools:1.0"),
        })
        {
            (await skopeo.RunAsync(["copy", "--retry-times", "0", "--preserve-digests", "--all", "--dest-tls-verify=false",
                "--dest-creds", admin, $"oci:{layout.Root}:{tag}", $"docker://{Wharf.HostPort}/{destination}"])).EnsureSuccess(Wharf);
        }
    }

    /// <summary>Whether the registry still has <paramref name="repository"/>:<paramref name="tag"/>.</summary>
    public async Task<bool> HasTagAsync(string repository, string tag)
    {
        using var http = new HttpClient { BaseAddress = Wharf.BaseAddress };
        http.DefaultRequestHeaders.Authorization = TestUsers.Basic(TestUsers.Bob, TestUsers.BobPassword);
        using var request = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/manifests/{tag}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciLayout.ManifestMediaType));
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode;
    }

    public async Task DisposeAsync()
    {
        await Wharf.DisposeAsync();
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory must not fail the tests.
        }
    }
}
