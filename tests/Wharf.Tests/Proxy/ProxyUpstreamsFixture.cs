using Wharf.Tests.EndToEnd;
using Wharf.Tests.Import;

namespace Wharf.Tests.Proxy;

/// <summary>
/// The two upstreams the proxy tests share, started once per test class: A is CNCF distribution 2.8
/// (Debian's docker-registry, plain HTTP, anonymous) and B is a second Wharf with the built-in token
/// service, started from the shipped example (examples/auth/wharf.yaml: alice may pull and push team/*,
/// bob is admin) over plain HTTP. Each test uses repository names of its own, so they do not meet.
/// Tests that stop an upstream start one of their own instead.
/// </summary>
public sealed class ProxyUpstreamsFixture : IAsyncLifetime
{
    public const string Alice = "alice";
    public const string AlicePassword = "alice-secret";
    public const string Bob = "bob";
    public const string BobPassword = "bob-secret";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "wharf-proxy-upstreams-" + Guid.NewGuid().ToString("N"));
    private DockerRegistryProcess? _distribution;
    private WharfProcess? _tokenWharf;

    /// <summary>Upstream A: docker-registry, plain HTTP, no sign-in.</summary>
    public DockerRegistryProcess Distribution => _distribution ?? throw new InvalidOperationException("The fixture is not started.");

    /// <summary>Upstream B: Wharf with the token service (the Docker Hub flow) and the example's users.</summary>
    public WharfProcess TokenWharf => _tokenWharf ?? throw new InvalidOperationException("The fixture is not started.");

    public static string RepositoryRoot { get; } = Auth.RepositoryRoot.Find();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        _distribution = await DockerRegistryProcess.StartAsync(Path.Combine(_root, "distribution"));
        _tokenWharf = await WharfProcess.StartAsync(new WharfStartOptions
        {
            Arguments = ["--config", Path.Combine(RepositoryRoot, "examples", "auth", "wharf.yaml")],
        });
    }

    public async Task DisposeAsync()
    {
        if (_tokenWharf is not null)
        {
            await _tokenWharf.DisposeAsync();
        }

        if (_distribution is not null)
        {
            await _distribution.DisposeAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory must not fail the tests.
        }
    }
}
