using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Events;
using Wharf.Tests.Api;
using Wharf.Tests.Auth;
using TestManifests = Wharf.Tests.Api.Manifests;

namespace Wharf.Tests.Notifications;

/// <summary>Notifications in process: what each endpoint receives for pushes, pulls, mounts and
/// deletes, in distribution's event format, with its filters and headers, and after failures.</summary>
public sealed class NotificationApiTests : IAsyncDisposable
{
    private const string Envelope = "application/vnd.docker.distribution.events.v1+json";
    private const string OctetStream = "application/octet-stream";

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<IDisposable> _factories = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var factory in _factories)
        {
            factory.Dispose();
        }
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }

    private async Task<EventReceiver> ReceiverAsync()
    {
        var receiver = await EventReceiver.StartNewAsync();
        _owned.Add(receiver);
        return receiver;
    }

    /// <summary>Settings of endpoint <paramref name="index"/>: quick retries, so failures cost the tests little.</summary>
    private static IEnumerable<(string Key, string Value)> Endpoint(int index, string name, string url, params (string Key, string Value)[] extra)
    {
        var prefix = $"Notifications:Endpoints:{index}:";
        yield return (prefix + "Name", name);
        yield return (prefix + "Url", url);
        yield return (prefix + "Backoff", "00:00:00.2");
        yield return (prefix + "Threshold", "2");
        yield return (prefix + "Timeout", "00:00:02");
        foreach (var (key, value) in extra)
        {
            yield return (prefix + key, value);
        }
    }

    private RegistryClient Start(IEnumerable<(string Key, string Value)> settings, out WharfApiFactory factory)
    {
        factory = new WharfApiFactory([.. settings]);
        _factories.Add(factory);
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.UserAgent.ParseAdd("notify-test/1.0");
        return new RegistryClient(client);
    }

    private RegistryClient Start(IEnumerable<(string Key, string Value)> settings) => Start(settings, out _);

    private static string NewRepository() => $"events/r{Guid.NewGuid():N}";

    private static Func<IReadOnlyList<JsonElement>, bool> Has(Func<JsonElement, bool> match, int count = 1) =>
        events => events.Count(match) >= count;

    [Fact]
    public async Task Push_ByTag_DeliversBlobAndManifestPushEventsInDistributionFormat()
    {
        var receiver = await ReceiverAsync();
        var registry = Start(Endpoint(0, "hook", receiver.Url));
        var repository = NewRepository();

        var (json, digest) = await registry.PushImageAsync(repository, "v1");

        var events = await receiver.WaitForAsync(Has(e => e.Repository() == repository, 3), what: "two blob pushes and a manifest push");
        var mine = events.Where(e => e.Repository() == repository).ToList();
        var manifest = Assert.Single(mine, e => e.Str("target.mediaType") == TestManifests.OciManifestType);
        Assert.Equal("push", manifest.Action());
        Assert.Equal(digest, manifest.Str("target.digest"));
        Assert.Equal(Encoding.UTF8.GetByteCount(json).ToString(), manifest.Str("target.size"));
        Assert.Equal(manifest.Str("target.size"), manifest.Str("target.length"));
        Assert.Equal("v1", manifest.Str("target.tag"));
        Assert.Equal($"http://localhost/v2/{repository}/manifests/{digest}", manifest.Str("target.url"));
        Assert.Equal("PUT", manifest.Str("request.method"));
        Assert.Equal("localhost", manifest.Str("request.host"));
        Assert.Equal("notify-test/1.0", manifest.Str("request.useragent"));
        Assert.False(string.IsNullOrEmpty(manifest.Str("request.id")));
        Assert.Equal("", manifest.Str("actor.name"));
        Assert.False(string.IsNullOrEmpty(manifest.Str("source.instanceID")));
        Assert.True(Guid.TryParse(manifest.Str("id"), out _));
        Assert.True(DateTimeOffset.TryParse(manifest.Str("timestamp"), out var at) && Math.Abs((DateTimeOffset.UtcNow - at).TotalMinutes) < 5);
        var blobs = mine.Where(e => e.Str("target.mediaType") == OctetStream).ToList();
        Assert.Equal(2, blobs.Count);
        Assert.All(blobs, b => Assert.Equal("push", b.Action()));
        Assert.All(blobs, b => Assert.Equal($"http://localhost/v2/{repository}/blobs/{b.Str("target.digest")}", b.Str("target.url")));
        Assert.All(blobs, b => Assert.Null(b.Str("target.tag")));
        Assert.Equal(3, mine.Select(e => e.Str("id")).Distinct().Count());
        Assert.All(receiver.Envelopes, e => Assert.Equal(Envelope, e.ContentType));
    }

    [Fact]
    public async Task Push_SignedIn_NamesTheActor()
    {
        using var directory = new TempDir();
        var htpasswd = TestUsers.WriteHtpasswd(directory.FullPath, TestUsers.All);
        var receiver = await ReceiverAsync();
        var registry = Start([.. AuthSettings.Standard("htpasswd", htpasswd), .. Endpoint(0, "hook", receiver.Url)]);
        registry.Http.DefaultRequestHeaders.Authorization = TestUsers.Basic(TestUsers.Alice, TestUsers.AlicePassword);
        var repository = $"team/r{Guid.NewGuid():N}";

        var (_, digest) = await registry.PushImageAsync(repository, "v1");

        var events = await receiver.WaitForAsync(Has(e => e.Str("target.digest") == digest));
        Assert.Equal(TestUsers.Alice, events.Single(e => e.Str("target.digest") == digest).Str("actor.name"));
    }

    [Fact]
    public async Task Push_WithTagParameters_OneEventPerTag_AndByDigestOneWithoutTag()
    {
        var receiver = await ReceiverAsync();
        var registry = Start(Endpoint(0, "hook", receiver.Url));
        var repository = NewRepository();
        var config = await registry.PushBlobAsync(repository, "{}");
        var json = TestManifests.OciImage(config, 2, []);
        var digest = RegistryClient.DigestOf(json);

        using (var response = await registry.PutManifestAsync(repository, $"{digest}?tag=a&tag=b", json, TestManifests.OciManifestType))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        var other = TestManifests.OciImage(config, 2, [], artifactType: "application/x-test");
        using (var response = await registry.PutManifestAsync(repository, RegistryClient.DigestOf(other), other, TestManifests.OciManifestType))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var events = await receiver.WaitForAsync(Has(e => e.Repository() == repository && e.Str("target.mediaType") == TestManifests.OciManifestType, 3));
        var pushes = events.Where(e => e.Repository() == repository && e.Str("target.mediaType") == TestManifests.OciManifestType).ToList();
        Assert.Equal(["a", "b"], pushes.Where(e => e.Str("target.digest") == digest).Select(e => e.Str("target.tag")).Order());
        Assert.Null(Assert.Single(pushes, e => e.Str("target.digest") == RegistryClient.DigestOf(other)).Str("target.tag"));
    }

    [Fact]
    public async Task Push_WithTagParameters_RecordsEveryTagsEventInOneCall()
    {
        var recorder = new RecordingEvents();
        using var factory = new WharfApiFactory();
        using var app = factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<IRegistryEvents>(recorder)));
        var registry = new RegistryClient(app.CreateClient());
        var repository = NewRepository();
        var config = await registry.PushBlobAsync(repository, "{}");
        var json = TestManifests.OciImage(config, 2, []);
        var digest = RegistryClient.DigestOf(json);

        using (var response = await registry.PutManifestAsync(repository, $"{digest}?tag=a&tag=b&tag=c", json, TestManifests.OciManifestType))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        // One call for the push, so the sink can write its rows at once.
        var push = Assert.Single(recorder.Calls, call => call.Any(e => e.Kind == EventTargetKind.Manifest));
        Assert.Equal(["a", "b", "c"], push.Select(e => e.Tag));
        Assert.All(push, e => Assert.Equal(digest, e.Digest?.ToString()));
    }

    [Fact]
    public async Task Pull_OnlyEndpointsWithIncludePulls_GetManifestAndBlobGets_NotHeads()
    {
        var plain = await ReceiverAsync();
        var pulls = await ReceiverAsync();
        var registry = Start([.. Endpoint(0, "plain", plain.Url), .. Endpoint(1, "pulls", pulls.Url, ("IncludePulls", "true"))]);
        var repository = NewRepository();
        var (_, digest) = await registry.PushImageAsync(repository, "v1");
        var layer = RegistryClient.DigestOf("layer bytes for layer");

        using (var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/manifests/v1"))
        {
            (await registry.Http.SendAsync(head)).Dispose();
        }
        using (var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/blobs/{layer}"))
        {
            (await registry.Http.SendAsync(head)).Dispose();
        }
        using var manifestGet = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/v1");
        manifestGet.Headers.Accept.ParseAdd(TestManifests.OciManifestType);
        using (var response = await registry.Http.SendAsync(manifestGet))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using (var response = await registry.Http.GetAsync($"/v2/{repository}/blobs/{layer}"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var events = await pulls.WaitForAsync(Has(e => e.Repository() == repository && e.Action() == "pull", 2), what: "a manifest pull and a blob pull");
        var pulled = events.Where(e => e.Repository() == repository && e.Action() == "pull").ToList();
        Assert.Equal(2, pulled.Count);
        var manifest = Assert.Single(pulled, e => e.Str("target.mediaType") == TestManifests.OciManifestType);
        Assert.Equal((digest, "v1", "GET"), (manifest.Str("target.digest"), manifest.Str("target.tag"), manifest.Str("request.method")));
        var blob = Assert.Single(pulled, e => e.Str("target.mediaType") == OctetStream);
        Assert.Equal((layer, "21"), (blob.Str("target.digest"), blob.Str("target.size")));
        // Both endpoints got the pushes; the one without IncludePulls never a pull.
        await plain.WaitForAsync(Has(e => e.Repository() == repository, 3));
        await Task.Delay(500);
        Assert.DoesNotContain(plain.Events, e => e.Action() == "pull");
    }

    [Fact]
    public async Task Delete_ManifestTagAndBlob_DeliverDeleteEvents()
    {
        var receiver = await ReceiverAsync();
        var registry = Start(Endpoint(0, "hook", receiver.Url));
        var repository = NewRepository();
        var (_, digest) = await registry.PushImageAsync(repository, "v1");
        using (var tagged = await registry.PutManifestAsync(repository, "v2", (await registry.Http.GetStringAsync($"/v2/{repository}/manifests/v1")), TestManifests.OciManifestType))
        {
            Assert.Equal(HttpStatusCode.Created, tagged.StatusCode);
        }
        var layer = RegistryClient.DigestOf("layer bytes for layer");

        Assert.Equal(HttpStatusCode.Accepted, (await registry.Http.DeleteAsync($"/v2/{repository}/manifests/v2")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await registry.Http.DeleteAsync($"/v2/{repository}/manifests/{digest}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await registry.Http.DeleteAsync($"/v2/{repository}/blobs/{layer}")).StatusCode);

        var events = await receiver.WaitForAsync(Has(e => e.Repository() == repository && e.Action() == "delete", 3), what: "three deletes");
        var deletes = events.Where(e => e.Repository() == repository && e.Action() == "delete").ToList();
        var tag = Assert.Single(deletes, e => e.Str("target.tag") == "v2");
        Assert.Null(tag.Str("target.digest"));
        var manifest = Assert.Single(deletes, e => e.Str("target.digest") == digest);
        Assert.Equal("DELETE", manifest.Str("request.method"));
        var blob = Assert.Single(deletes, e => e.Str("target.digest") == layer);
        Assert.All(deletes, d => Assert.Null(d.Str("target.url")));
        Assert.All(deletes, d => Assert.Null(d.Str("target.mediaType")));
        Assert.Null(blob.Str("target.tag"));
    }

    [Fact]
    public async Task Mount_FromAnotherRepository_DeliversMountEventNamingTheSource()
    {
        var receiver = await ReceiverAsync();
        var registry = Start(Endpoint(0, "hook", receiver.Url));
        var source = NewRepository();
        var target = NewRepository();
        var digest = await registry.PushBlobAsync(source, "mounted bytes");

        using var response = await registry.Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={source}", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        var events = await receiver.WaitForAsync(Has(e => e.Repository() == target));
        var mount = Assert.Single(events, e => e.Repository() == target);
        Assert.Equal(("mount", digest, source, "13"), (mount.Action(), mount.Str("target.digest"), mount.Str("target.fromRepository"), mount.Str("target.size")));
    }

    [Fact]
    public async Task Filters_IgnoredMediaTypesAndActions_LeaveThoseEventsOut()
    {
        var all = await ReceiverAsync();
        var noBlobs = await ReceiverAsync();
        var noBlobsOld = await ReceiverAsync();
        var noDeletes = await ReceiverAsync();
        var registry = Start([
            .. Endpoint(0, "all", all.Url),
            .. Endpoint(1, "no-blobs", noBlobs.Url, ("Ignore:MediaTypes:0", OctetStream)),
            .. Endpoint(2, "no-blobs-old", noBlobsOld.Url, ("IgnoredMediaTypes:0", OctetStream)),
            .. Endpoint(3, "no-deletes", noDeletes.Url, ("Ignore:Actions:0", "delete")),
        ]);
        var repository = NewRepository();
        var (_, digest) = await registry.PushImageAsync(repository, "v1");
        Assert.Equal(HttpStatusCode.Accepted, (await registry.Http.DeleteAsync($"/v2/{repository}/manifests/v1")).StatusCode);

        await all.WaitForAsync(Has(e => e.Repository() == repository, 4), what: "two blob pushes, a manifest push and a tag delete");
        var withoutBlobs = await noBlobs.WaitForAsync(Has(e => e.Repository() == repository && e.Action() == "delete"));
        var withoutBlobsOld = await noBlobsOld.WaitForAsync(Has(e => e.Repository() == repository && e.Action() == "delete"));
        var withoutDeletes = await noDeletes.WaitForAsync(Has(e => e.Repository() == repository, 3));
        // Every event went out in the order it was queued, so nothing more is on its way.
        Assert.Equal(["push@" + digest, "delete@"], withoutBlobs.Select(e => e.Action() + "@" + e.Str("target.digest")));
        Assert.Equal(["push@" + digest, "delete@"], withoutBlobsOld.Select(e => e.Action() + "@" + e.Str("target.digest")));
        Assert.Equal(["push", "push", "push"], withoutDeletes.Select(e => e.Action()));
    }

    [Fact]
    public async Task Headers_Configured_AreSentWithEveryEnvelope()
    {
        var receiver = await ReceiverAsync();
        var registry = Start(Endpoint(0, "hook", receiver.Url, ("Headers:Authorization:0", "Bearer s3cret"), ("Headers:X-Team:0", "platform")));
        var repository = NewRepository();

        await registry.PushBlobAsync(repository, "with headers");

        await receiver.WaitForAsync(Has(e => e.Repository() == repository));
        var envelope = Assert.Single(receiver.Envelopes);
        Assert.Equal("Bearer s3cret", envelope.Headers["Authorization"]);
        Assert.Equal("platform", envelope.Headers["X-Team"]);
        Assert.Equal(Envelope, envelope.ContentType);
    }

    [Fact]
    public async Task Delivery_ReceiverFailsThenRecovers_RetriesTheSameEvent()
    {
        var receiver = await ReceiverAsync();
        receiver.FailNext = 4;
        var registry = Start(Endpoint(0, "hook", receiver.Url));
        var repository = NewRepository();

        var digest = await registry.PushBlobAsync(repository, "retried");

        var events = await receiver.WaitForAsync(Has(e => e.Repository() == repository));
        var delivered = Assert.Single(events);
        Assert.Equal(digest, delivered.Str("target.digest"));
        Assert.Equal(4, receiver.Refused.Count);
        // Every attempt carried the same event.
        Assert.All(receiver.Refused, r => Assert.Equal(delivered.Str("id"), Assert.Single(r.Events).Str("id")));
    }

    [Fact]
    public async Task Delivery_ReceiverDown_EventsWaitAndArriveOnceItListens()
    {
        var receiver = EventReceiver.OnFreePort();
        _owned.Add(receiver);
        var registry = Start(Endpoint(0, "hook", receiver.Url));
        var repository = NewRepository();
        var digests = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            digests.Add(await registry.PushBlobAsync(repository, $"while down {i}"));
        }
        // Several attempts fail (connection refused) and back off.
        await Task.Delay(1000);

        await receiver.StartAsync();

        var events = await receiver.WaitForAsync(Has(e => e.Repository() == repository, 5));
        Assert.Equal(digests, events.Select(e => e.Str("target.digest")));
    }

    [Fact]
    public async Task Enqueue_NoEndpoints_WritesNothingToTheOutbox()
    {
        var registry = Start([], out var factory);

        await registry.PushImageAsync(NewRepository(), "v1");

        Assert.Equal(0, OutboxRows(factory));
    }

    [Fact]
    public async Task Enqueue_DisabledEndpoint_WritesNothing_AndEnabledOneGetsItsRows()
    {
        var receiver = await ReceiverAsync();
        var registry = Start([.. Endpoint(0, "off", "http://127.0.0.1:9/never", ("Disabled", "true")), .. Endpoint(1, "on", receiver.Url)], out var factory);
        var repository = NewRepository();

        await registry.PushBlobAsync(repository, "one");

        await receiver.WaitForAsync(Has(e => e.Repository() == repository));
        // The delivered row goes once the receiver's answer is in.
        for (var i = 0; i < 100 && OutboxRows(factory) > 0; i++)
        {
            await Task.Delay(50);
        }
        Assert.Equal(0, OutboxRows(factory));
    }

    [Fact]
    public async Task ReadOnly_NeitherDeliversNorRecordsPulls_AndAWritableServerDeliversLater()
    {
        // A writable server queues a push for an endpoint that is not listening, and keeps
        // running (the factories share its data directory, which its disposal removes).
        var down = EventReceiver.OnFreePort();
        var writer = Start(Endpoint(0, "hook", down.Url), out var writable);
        var repository = NewRepository();
        var digest = await writer.PushBlobAsync(repository, "queued");
        var receiver = await ReceiverAsync();
        var hook = Endpoint(0, "hook", receiver.Url, ("IncludePulls", "true")).ToList();

        var reader = Start([.. hook, ("Storage:ReadOnly", "true"), ("Storage:Root", writable.StorageRoot)]);
        using (var pull = await reader.Http.GetAsync($"/v2/{repository}/blobs/{digest}"))
        {
            Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        }
        await Task.Delay(1500);

        Assert.Empty(receiver.Events);
        Assert.Equal(1, OutboxRows(writable));
        Start([.. hook, ("Storage:Root", writable.StorageRoot)]);
        var events = await receiver.WaitForAsync(Has(e => e.Repository() == repository));
        Assert.Equal(["push"], events.Select(e => e.Action()));
    }

    [Fact]
    public void Start_InvalidEndpoint_FailsNamingEveryProblem()
    {
        var storage = Path.Combine(Path.GetTempPath(), "wharf-notify-check-" + Guid.NewGuid().ToString("N"));
        try
        {
            var message = string.Join("\n", Configuration.StartupChecks.Run(storage,
                ("Notifications:Endpoints:0:Name", ""),
                ("Notifications:Endpoints:0:Url", "ftp://example"),
                ("Notifications:Endpoints:0:Threshold", "0"),
                ("Notifications:Endpoints:0:Ignore:Actions:0", "tag"),
                ("Notifications:Endpoints:0:Headers:Bad Name:0", "x")));

            Assert.Contains("Notifications:Endpoints:0:Name is required", message);
            Assert.Contains("Notifications:Endpoints:0:Url must be", message);
            Assert.Contains("Notifications:Endpoints:0:Threshold", message);
            Assert.Contains("'tag' is not an action", message);
            Assert.Contains("Notifications:Endpoints:0:Headers: 'Bad Name' is not a header name", message);
        }
        finally
        {
            Wharf.Tests.Api.SqlitePools.ReleaseUnder(storage);
            if (Directory.Exists(storage))
            {
                Directory.Delete(storage, recursive: true);
            }
        }
    }

    /// <summary>Keeps every call, a single event as a call of one.</summary>
    private sealed class RecordingEvents : IRegistryEvents
    {
        private readonly List<IReadOnlyList<RegistryEvent>> _calls = [];

        public IReadOnlyList<IReadOnlyList<RegistryEvent>> Calls
        {
            get
            {
                lock (_calls)
                {
                    return [.. _calls];
                }
            }
        }

        public Task RecordAsync(RegistryEvent registryEvent) => RecordAsync([registryEvent]);

        public Task RecordAsync(IReadOnlyList<RegistryEvent> registryEvents)
        {
            lock (_calls)
            {
                _calls.Add([.. registryEvents]);
            }
            return Task.CompletedTask;
        }
    }

    private static long OutboxRows(WharfApiFactory factory)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(factory.StorageRoot, "wharf.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM event_outbox";
        return (long)command.ExecuteScalar()!;
    }
}
