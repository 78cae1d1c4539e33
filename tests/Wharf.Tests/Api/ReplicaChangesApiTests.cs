using System.Net;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Registry;

namespace Wharf.Tests.Api;

/// <summary>What the registry tells other replicas, and how it answers what they tell it: a write
/// here is published; a change published elsewhere drops what this process cached.</summary>
public sealed class ReplicaChangesApiTests : IDisposable
{
    private readonly WharfApiFactory _factory = new();
    private readonly RecordingReplicaChanges _changes = new();
    private readonly WebApplicationFactoryClient _registry;

    public ReplicaChangesApiTests()
    {
        var app = _factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<IReplicaChanges>(_changes)));
        _registry = new WebApplicationFactoryClient(new RegistryClient(app.CreateClient()), app.Services);
    }

    [Fact]
    public async Task Writes_ManifestPushTagDeleteAndBlobDelete_ArePublished()
    {
        var registry = _registry.Client;
        var (_, digest) = await registry.PushImageAsync("team/app", "v1");
        var layer = await registry.PushBlobAsync("team/app", "only a layer");

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

        var team = RepositoryName.Parse("team/app");
        Assert.Equal(
            [new RepositoryChange(team), new RepositoryChange(team), new RepositoryChange(team), new RepositoryChange(team, Digest.Parse(layer))],
            _changes.Published);
    }

    [Fact]
    public async Task ChangedElsewhere_TagMovedByAnotherReplica_ServedAtOnce()
    {
        var registry = _registry.Client;
        var (_, first) = await registry.PushImageAsync("team/app", "latest", seed: "first");
        var (_, second) = await registry.PushImageAsync("team/app", "second", seed: "second");
        Assert.Equal(first, await DigestOfTagAsync("latest"));

        // Another replica moves the tag: straight in the shared metadata, not through this process.
        var metadata = _registry.Services.GetRequiredService<IMetadataStore>();
        var team = RepositoryName.Parse("team/app");
        var record = (await metadata.GetManifestAsync(team, Reference.Parse("second"), default))!;
        await metadata.PutManifestAsync(team, record, [], ["latest"], default);
        Assert.Equal(first, await DigestOfTagAsync("latest"));   // still cached here: nobody said

        _changes.RaiseChangedElsewhere(new RepositoryChange(team));

        Assert.Equal(second, await DigestOfTagAsync("latest"));
    }

    private async Task<string> DigestOfTagAsync(string tag)
    {
        using var response = await _registry.Client.Http.GetAsync($"/v2/team/app/manifests/{tag}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single(response.Headers.GetValues("Docker-Content-Digest"));
    }

    public void Dispose() => _factory.Dispose();

    private sealed record WebApplicationFactoryClient(RegistryClient Client, IServiceProvider Services);

    private sealed class RecordingReplicaChanges : IReplicaChanges
    {
        public List<RepositoryChange> Published { get; } = [];

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
