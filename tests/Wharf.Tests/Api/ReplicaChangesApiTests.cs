using System.Net;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Registry;

namespace Wharf.Tests.Api;

/// <summary>A registry whose metadata store other replicas share: every write here is published
/// before it is answered, another replica's change drops what it changed from the caches, and while
/// the process is not current, what a tag names is read from the store.</summary>
public sealed class ReplicaChangesApiTests : IDisposable
{
    private static readonly RepositoryName Team = RepositoryName.Parse("team/app");
    private readonly WharfApiFactory _factory = new();
    private readonly RecordingReplicaChanges _changes = new();
    private readonly WebApplicationFactoryClient _registry;

    public ReplicaChangesApiTests()
    {
        var app = _factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<IReplicaChanges>(_changes)));
        _registry = new WebApplicationFactoryClient(new RegistryClient(app.CreateClient()), app.Services);
    }

    [Fact]
    public async Task Writes_ManifestTagAndUnlinkChangesArePublished()
    {
        var registry = _registry.Client;
        var (_, digest) = await registry.PushImageAsync("team/app", "v1");
        var layer = await registry.PushBlobAsync("team/app", "only a layer");
        Assert.Equal([new RepositoryChange(Team)], _changes.Published);

        using (var deleteTag = await registry.Http.DeleteAsync("/v2/team/app/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.Accepted, deleteTag.StatusCode);
        }
        using (var deleteManifest = await registry.Http.DeleteAsync($"/v2/team/app/manifests/{digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, deleteManifest.StatusCode);
        }
        using (var deleteBlob = await registry.Http.DeleteAsync($"/v2/team/app/blobs/{layer}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, deleteBlob.StatusCode);
        }

        Assert.Equal(
            [new RepositoryChange(Team), new RepositoryChange(Team), new RepositoryChange(Team), new RepositoryChange(Team, Digest.Parse(layer))],
            _changes.Published);
    }

    [Fact]
    public async Task TagMovedByAnotherReplica_ServedAtOnceWhenItsChangeArrives()
    {
        var (first, second) = await PushTwoAsync();
        Assert.Equal(first, await DigestOfTagAsync("latest"));

        await MoveLatestElsewhereAsync();
        _changes.RaiseChangedElsewhere(new RepositoryChange(Team));

        Assert.Equal(second, await DigestOfTagAsync("latest"));
    }

    [Fact]
    public async Task Current_TagAnswersComeFromTheCache()
    {
        var (first, _) = await PushTwoAsync();
        Assert.Equal(first, await DigestOfTagAsync("latest"));

        // A change nobody announces (which no real replica makes) shows what is served from memory.
        await MoveLatestElsewhereAsync();

        Assert.Equal(first, await DigestOfTagAsync("latest"));
    }

    [Fact]
    public async Task NotCurrent_TagIsReadFromTheStore()
    {
        var (first, second) = await PushTwoAsync();
        Assert.Equal(first, await DigestOfTagAsync("latest"));

        _changes.IsCurrent = false;
        await MoveLatestElsewhereAsync();

        Assert.Equal(second, await DigestOfTagAsync("latest"));
    }

    [Fact]
    public async Task ChangesMissed_CacheDropped()
    {
        var (first, second) = await PushTwoAsync();
        Assert.Equal(first, await DigestOfTagAsync("latest"));

        await MoveLatestElsewhereAsync();
        _changes.RaiseChangesMayBeMissed();

        Assert.Equal(second, await DigestOfTagAsync("latest"));
    }

    [Fact]
    public async Task ManifestDeletedByAnotherReplica_IsGoneWhenItsChangeArrives()
    {
        var registry = _registry.Client;
        var (_, digest) = await registry.PushImageAsync("team/gone", "v1");
        Assert.Equal(digest, await DigestOfTagAsync("v1", "team/gone"));

        var gone = RepositoryName.Parse("team/gone");
        await _registry.Services.GetRequiredService<IMetadataStore>().DeleteManifestAsync(gone, Digest.Parse(digest), default);
        _changes.RaiseChangedElsewhere(new RepositoryChange(gone));

        using var response = await registry.Http.GetAsync("/v2/team/gone/manifests/v1");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<(string First, string Second)> PushTwoAsync()
    {
        var (_, first) = await _registry.Client.PushImageAsync("team/app", "latest", seed: "first");
        var (_, second) = await _registry.Client.PushImageAsync("team/app", "second", seed: "second");
        return (first, second);
    }

    // Another replica moves the tag: straight in the shared metadata.
    private async Task MoveLatestElsewhereAsync()
    {
        var metadata = _registry.Services.GetRequiredService<IMetadataStore>();
        var record = (await metadata.GetManifestAsync(Team, Reference.Parse("second"), default))!;
        await metadata.PutManifestAsync(Team, record, [], ["latest"], default);
    }

    private async Task<string> DigestOfTagAsync(string tag, string repository = "team/app")
    {
        using var response = await _registry.Client.Http.GetAsync($"/v2/{repository}/manifests/{tag}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single(response.Headers.GetValues("Docker-Content-Digest"));
    }

    public void Dispose() => _factory.Dispose();

    private sealed record WebApplicationFactoryClient(RegistryClient Client, IServiceProvider Services);

    private sealed class RecordingReplicaChanges : IReplicaChanges
    {
        public List<RepositoryChange> Published { get; } = [];

        public bool IsCurrent { get; set; } = true;

        public event Action<RepositoryChange>? ChangedElsewhere;

        public event Action? ChangesMayBeMissed;

        public Task PublishAsync(RepositoryChange change, CancellationToken cancellationToken)
        {
            lock (Published)
            {
                Published.Add(change);
            }
            return Task.CompletedTask;
        }

        public void RaiseChangedElsewhere(RepositoryChange change) => ChangedElsewhere?.Invoke(change);

        public void RaiseChangesMayBeMissed() => ChangesMayBeMissed?.Invoke();
    }
}
