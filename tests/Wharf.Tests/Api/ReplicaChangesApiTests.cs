using System.Net;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Registry;

namespace Wharf.Tests.Api;

/// <summary>A registry whose metadata store other replicas share: every write here is published,
/// and what a tag names is never answered from memory, so a tag moved by another replica is served
/// at once.</summary>
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
    public async Task SharedStore_TagMovedByAnotherReplica_ServedAtOnceWithoutANotification()
    {
        var registry = _registry.Client;
        var (_, first) = await registry.PushImageAsync("team/app", "latest", seed: "first");
        var (_, second) = await registry.PushImageAsync("team/app", "second", seed: "second");
        Assert.Equal(first, await DigestOfTagAsync("latest"));
        Assert.Equal(first, await DigestOfTagAsync("latest"));

        // Another replica moves the tag: straight in the shared metadata, and nobody says so.
        var metadata = _registry.Services.GetRequiredService<IMetadataStore>();
        var team = RepositoryName.Parse("team/app");
        var record = (await metadata.GetManifestAsync(team, Reference.Parse("second"), default))!;
        await metadata.PutManifestAsync(team, record, [], ["latest"], default);

        Assert.Equal(second, await DigestOfTagAsync("latest"));
    }

    [Fact]
    public async Task SharedStore_ManifestDeletedByAnotherReplica_IsGoneAtOnce()
    {
        var registry = _registry.Client;
        var (_, digest) = await registry.PushImageAsync("team/gone", "v1");
        Assert.Equal(digest, await DigestOfTagAsync("v1", "team/gone"));

        await _registry.Services.GetRequiredService<IMetadataStore>().DeleteManifestAsync(RepositoryName.Parse("team/gone"), Digest.Parse(digest), default);

        using var response = await registry.Http.GetAsync($"/v2/team/gone/manifests/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
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

        public bool IsShared => true;

        // Other replicas' notifications are not needed: with a shared store nothing mutable is cached.
        public event Action<RepositoryChange>? ChangedElsewhere
        {
            add { }
            remove { }
        }

        public event Action? ChangesMayBeMissed
        {
            add { }
            remove { }
        }

        public Task PublishAsync(RepositoryChange change, CancellationToken cancellationToken)
        {
            lock (Published)
            {
                Published.Add(change);
            }
            return Task.CompletedTask;
        }
    }
}
