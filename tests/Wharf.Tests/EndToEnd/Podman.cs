using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>
/// A private world for one podman or buildah instance: image storage (vfs), run and temp directories, and
/// its own registries.conf, storage.conf, containers.conf, signature policy, auth file and network config
/// dir, so nothing is read from or written to the machine's container configuration or image store. The
/// one shared file is the blob-info cache (/var/lib/containers/cache, also used by skopeo), which these
/// tool versions give no option to move; it only suggests blobs to reuse or mount, each one checked
/// against the registry.
/// </summary>
public sealed class ContainersSandbox : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);

    public ContainersSandbox(string tool, IEnumerable<string> insecureRegistries)
    {
        // Podman refuses a runroot longer than 50 characters (the conmon socket paths under it must fit).
        var name = $"wharf-{tool}-{Guid.NewGuid().ToString("N")[..10]}";
        Root = Path.Combine(Path.GetTempPath(), name);
        if (RunRoot.Length > 50)
        {
            Root = Path.Combine("/tmp", name);
        }

        foreach (var dir in new[] { StorageRoot, RunRoot, TmpDir, NetworkConfigDir })
        {
            Directory.CreateDirectory(dir);
        }

        // Only the registries listed here may be reached over plain HTTP without --tls-verify=false.
        var registries = new StringBuilder();
        foreach (var registry in insecureRegistries)
        {
            registries.Append(CultureInfo.InvariantCulture, $"[[registry]]\nlocation = \"{registry}\"\ninsecure = true\n\n");
        }

        File.WriteAllText(RegistriesConfPath, registries.ToString());
        File.WriteAllText(StorageConfPath,
            $"[storage]\ndriver = \"vfs\"\ngraphroot = \"{StorageRoot}\"\nrunroot = \"{RunRoot}\"\n");
        File.WriteAllText(ContainersConfPath,
            $"[engine]\nimage_copy_tmp_dir = \"{TmpDir}\"\n\n[network]\nnetwork_config_dir = \"{NetworkConfigDir}\"\n");
        File.WriteAllText(PolicyPath, """{"default":[{"type":"insecureAcceptAnything"}]}""");
        File.WriteAllText(AuthFilePath, """{"auths":{}}""");
    }

    public string Root { get; }

    public string StorageRoot => Path.Combine(Root, "root");

    public string RunRoot => Path.Combine(Root, "run");

    public string TmpDir => Path.Combine(Root, "tmp");

    public string NetworkConfigDir => Path.Combine(Root, "networks");

    public string RegistriesConfPath => Path.Combine(Root, "registries.conf");

    public string StorageConfPath => Path.Combine(Root, "storage.conf");

    public string ContainersConfPath => Path.Combine(Root, "containers.conf");

    public string PolicyPath => Path.Combine(Root, "policy.json");

    public string AuthFilePath => Path.Combine(Root, "auth.json");

    /// <summary>A fresh path in the sandbox for a file the tool writes, e.g. a --digestfile.</summary>
    public string NewFilePath(string name) => Path.Combine(Root, $"{name}-{Guid.NewGuid():N}");

    /// <summary>Runs <paramref name="executable"/> with the sandbox's environment, a timeout, and its output captured.</summary>
    public Task<ToolResult> RunAsync(
        string executable, IReadOnlyList<string> globalOptions, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string> extraEnvironment, ITestOutputHelper? output, TimeSpan? timeout)
    {
        var startInfo = new ProcessStartInfo(executable);
        foreach (var arg in globalOptions.Concat(arguments))
        {
            startInfo.ArgumentList.Add(arg);
        }

        // Settings inherited from the machine or the test host must not change what the tool does.
        foreach (var name in startInfo.Environment.Keys.ToList())
        {
            if (name.StartsWith("CONTAINERS_", StringComparison.Ordinal) ||
                name.StartsWith("BUILDAH_", StringComparison.Ordinal) ||
                name.StartsWith("REGISTRY_AUTH", StringComparison.Ordinal) ||
                name is "DOCKER_CONFIG" or "CONTAINER_HOST" or "CONTAINER_CONNECTION")
            {
                startInfo.Environment.Remove(name);
            }
        }

        startInfo.Environment["CONTAINERS_REGISTRIES_CONF"] = RegistriesConfPath;
        startInfo.Environment["CONTAINERS_STORAGE_CONF"] = StorageConfPath;
        startInfo.Environment["CONTAINERS_CONF"] = ContainersConfPath;
        startInfo.Environment["REGISTRY_AUTH_FILE"] = AuthFilePath;
        startInfo.Environment["TMPDIR"] = TmpDir;
        foreach (var (name, value) in extraEnvironment)
        {
            startInfo.Environment[name] = value;
        }

        return ToolRun.RunAsync(startInfo, Path.GetFileName(executable) + " " + string.Join(' ', arguments), output, timeout ?? DefaultTimeout);
    }

    /// <summary>
    /// Deletes the sandbox. vfs layers keep the permissions of the image's files (read-only directories
    /// included), so a failed delete is retried after making every directory writable; a directory that
    /// still cannot be deleted is left behind rather than failing the test.
    /// </summary>
    public void Dispose()
    {
        if (TryDelete(Root) || OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            foreach (var dir in Directory.EnumerateDirectories(Root, "*", new EnumerationOptions
                     {
                         RecurseSubdirectories = true,
                         IgnoreInaccessible = true,
                         AttributesToSkip = FileAttributes.ReparsePoint,
                     }))
            {
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort.
        }

        TryDelete(Root);
    }

    /// <summary>The full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static bool TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>
/// Runs the real podman client as root with fully private storage and configuration
/// (<see cref="ContainersSandbox"/>): vfs storage, no events journal, cgroupfs, its own network config
/// dir. Only the registries given to the constructor are listed as insecure in its registries.conf.
/// Podman 4 has no --retry option; its internal retries only cover network-level errors.
/// </summary>
public sealed class Podman : IDisposable
{
    public const string NotInstalledMessage = "podman is not installed: run .ci/run or apt-get install podman";
    public const string SkipTlsVerify = "--tls-verify=false";

    private static readonly Dictionary<string, string> NoExtraEnvironment = [];
    private readonly ITestOutputHelper? _output;
    private readonly string _executable;
    private readonly ContainersSandbox _sandbox;

    /// <summary>Fails the test (never skips it) when podman is not installed.</summary>
    public Podman(ITestOutputHelper? output, params string[] insecureRegistries)
    {
        _executable = ContainersSandbox.FindOnPath("podman") ?? throw new InvalidOperationException(NotInstalledMessage);
        _output = output;
        _sandbox = new ContainersSandbox("podman", insecureRegistries);
    }

    public ContainersSandbox Sandbox => _sandbox;

    /// <summary>Runs podman with the isolating global options and <paramref name="arguments"/>.</summary>
    public Task<ToolResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan? timeout = null) =>
        _sandbox.RunAsync(_executable,
            ["--root", _sandbox.StorageRoot, "--runroot", _sandbox.RunRoot, "--tmpdir", _sandbox.TmpDir,
             "--storage-driver", "vfs", "--events-backend", "none", "--cgroup-manager", "cgroupfs",
             "--network-config-dir", _sandbox.NetworkConfigDir],
            arguments, NoExtraEnvironment, _output, timeout);

    /// <summary>
    /// podman pull; returns the image ID. With <paramref name="skipTlsVerify"/> false no TLS option is
    /// given, so plain HTTP works only if registries.conf lists the registry as insecure.
    /// </summary>
    public async Task<string> PullAsync(string image, WharfProcess? server, bool skipTlsVerify = true, params string[] options)
    {
        var result = await TryPullAsync(image, skipTlsVerify, options);
        return NonEmpty(result.EnsureSuccess(server).LastLine, result);
    }

    /// <summary>podman pull, returning what happened rather than failing the test.</summary>
    public Task<ToolResult> TryPullAsync(string image, bool skipTlsVerify = true, params string[] options) =>
        RunAsync(["pull", "--signature-policy", _sandbox.PolicyPath, .. TlsOptions(skipTlsVerify), .. options, image]);

    /// <summary>podman push; returns the manifest digest podman reports it pushed (--digestfile).</summary>
    public async Task<string> PushAsync(string image, WharfProcess? server, string? destination = null, bool skipTlsVerify = true)
    {
        var digestFile = _sandbox.NewFilePath("digest");
        string[] target = destination is null ? [image] : [image, destination];
        (await RunAsync(
            ["push", "--signature-policy", _sandbox.PolicyPath, "--digestfile", digestFile, .. TlsOptions(skipTlsVerify), .. target]))
            .EnsureSuccess(server);
        return File.ReadAllText(digestFile).Trim();
    }

    public async Task TagAsync(string image, string name) => (await RunAsync(["tag", image, name])).EnsureSuccess();

    /// <summary>podman rmi --all --force, then checks the store really is empty.</summary>
    public async Task RemoveAllImagesAsync()
    {
        (await RunAsync(["rmi", "--all", "--force"])).EnsureSuccess();
        var left = (await RunAsync(["images", "--all", "--quiet", "--no-trunc"])).EnsureSuccess().StdOut.Trim();
        Assert.True(left.Length == 0, $"podman rmi --all left images behind:\n{left}");
    }

    /// <summary>podman image inspect --format FORMAT IMAGE, trimmed.</summary>
    public async Task<string> InspectImageAsync(string image, string format) =>
        (await RunAsync(["image", "inspect", "--format", format, image])).EnsureSuccess().StdOut.Trim();

    /// <summary>podman manifest push --all; returns the digest of the pushed list (--digestfile).</summary>
    public async Task<string> ManifestPushAllAsync(string list, string destination, WharfProcess? server)
    {
        var digestFile = _sandbox.NewFilePath("digest");
        (await RunAsync(["manifest", "push", "--all", "--digestfile", digestFile, SkipTlsVerify, list, destination]))
            .EnsureSuccess(server);
        return File.ReadAllText(digestFile).Trim();
    }

    public void Dispose() => _sandbox.Dispose();

    internal static string[] TlsOptions(bool skipTlsVerify) => skipTlsVerify ? [SkipTlsVerify] : [];

    internal static string NonEmpty(string value, ToolResult result)
    {
        Assert.True(value.Length > 0, $"{result.CommandLine} printed nothing on stdout.\nstderr:\n{result.StdErr}");
        return value;
    }
}

/// <summary>A manifest exactly as the registry served it, with the digest it claimed for it.</summary>
public sealed record ServedManifest(byte[] Body, string MediaType, string Digest)
{
    public JsonDocument Parse() => JsonDocument.Parse(Body);
}

/// <summary>Raw HTTP checks of what the server holds, independent of the client that pushed it.</summary>
public static class RegistryHttp
{
    private static readonly string[] AllManifestTypes =
    [
        OciLayout.ManifestMediaType,
        OciLayout.IndexMediaType,
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ];

    /// <summary>GET /v2/NAME/manifests/REF accepting every manifest type; checks Docker-Content-Digest against the body.</summary>
    public static async Task<ServedManifest> GetManifestAsync(WharfProcess wharf, string repository, string reference)
    {
        using var http = wharf.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/manifests/{reference}");
        foreach (var type in AllManifestTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"GET {request.RequestUri} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        Assert.True(response.Headers.TryGetValues("Docker-Content-Digest", out var digests),
            $"GET {request.RequestUri} answered without Docker-Content-Digest");
        var digest = Assert.Single(digests);
        Assert.Equal(OciLayout.ComputeDigest(body), digest);
        return new ServedManifest(body, response.Content.Headers.ContentType?.MediaType ?? "", digest);
    }

    /// <summary>GET /v2/NAME/blobs/DIGEST; checks the bytes hash to the digest.</summary>
    public static async Task<byte[]> GetBlobAsync(WharfProcess wharf, string repository, string digest)
    {
        using var http = wharf.CreateClient();
        using var response = await http.GetAsync($"v2/{repository}/blobs/{digest}");
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"GET blob {digest} in {repository} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        Assert.Equal(digest, OciLayout.ComputeDigest(body));
        return body;
    }

    /// <summary>
    /// GET /v2/NAME/blobs/DIGEST of a gzipped layer, streamed (never held whole): checks the bytes hash
    /// to the digest and returns the digest of the uncompressed tar (the layer's diff_id).
    /// </summary>
    public static async Task<string> GetLayerDiffIdAsync(WharfProcess wharf, string repository, string digest)
    {
        using var http = wharf.CreateClient(TimeSpan.FromMinutes(5));
        using var response = await http.GetAsync($"v2/{repository}/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET blob {digest} in {repository} answered {(int)response.StatusCode}");
        await using var compressed = new HashingStream(await response.Content.ReadAsStreamAsync());
        string diffId;
        await using (var gunzip = new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true))
        await using (var uncompressed = new HashingStream(gunzip))
        {
            await uncompressed.CopyToAsync(Stream.Null);
            diffId = uncompressed.Digest;
        }
        await compressed.CopyToAsync(Stream.Null); // whatever follows the gzip stream's end is part of the blob too
        Assert.Equal(digest, compressed.Digest);
        return diffId;
    }

    /// <summary>HEAD /v2/NAME/blobs/DIGEST answers 200 with the descriptor's size.</summary>
    public static async Task AssertBlobPresentAsync(WharfProcess wharf, string repository, JsonElement descriptor)
    {
        var digest = descriptor.GetProperty("digest").GetString();
        using var http = wharf.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Head, $"v2/{repository}/blobs/{digest}");
        using var response = await http.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"HEAD blob {digest} in {repository} answered {(int)response.StatusCode}");
        Assert.Equal(descriptor.GetProperty("size").GetInt64(), response.Content.Headers.ContentLength);
    }
}
