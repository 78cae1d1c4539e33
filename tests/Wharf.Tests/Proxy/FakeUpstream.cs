using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Wharf.Tests.Proxy;

/// <summary>
/// A registry that serves pulls from memory on a loopback port, for the pull-through cache's
/// API tests: it counts every request, can ask for the Docker token flow, can corrupt the blobs
/// it sends, and can hold a blob's body until the test lets it go.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    public const string User = "puller";
    public const string Password = "pull-secret";
    private const string Token = "token-for-puller";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (byte[] Bytes, string MediaType)> _manifests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _tags = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);

    private FakeUpstream(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>Answers 401 with a Bearer challenge unless the request carries the token the
    /// realm gives for <see cref="User"/>.</summary>
    public bool RequireToken { get; set; }

    /// <summary>Flips one byte in the middle of every blob sent.</summary>
    public bool CorruptBlobs { get; set; }

    /// <summary>When set, blob bodies wait for it after the headers went out.</summary>
    public TaskCompletionSource? HoldBlobBodies { get; set; }

    /// <summary>When set, manifest bodies send half their bytes and then wait for it.</summary>
    public TaskCompletionSource? StallManifestBodies { get; set; }

    public static async Task<FakeUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var upstream = new FakeUpstream(app);
        app.Map("/token", upstream.TokenAsync);
        app.Map("/v2/{**rest}", upstream.ServeAsync);
        await app.StartAsync();
        var address = app.Services.GetService(typeof(IServer)) is IServer server ? server.Features.Get<IServerAddressesFeature>()!.Addresses.First() : throw new InvalidOperationException();
        upstream.Url = new Uri(address);
        return upstream;
    }

    public int Count(string method, string pathSuffix) =>
        _requests.Where(r => r.Key.StartsWith(method + " ", StringComparison.Ordinal) && r.Key.EndsWith(pathSuffix, StringComparison.Ordinal)).Sum(r => r.Value);

    public static string DigestOf(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    public string AddBlob(byte[] bytes)
    {
        var digest = DigestOf(bytes);
        _blobs[digest] = bytes;
        return digest;
    }

    /// <summary>An image of a config and one layer, tagged; returns the manifest's digest and bytes.</summary>
    public (string Digest, byte[] Manifest, string Layer) AddImage(string name, string tag, byte[] layer)
    {
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["{{DigestOf(layer)}}"]},"note":"{{name}}:{{tag}}:{{layer.Length}}"}""");
        var configDigest = AddBlob(config);
        var layerDigest = AddBlob(layer);
        var manifest = Encoding.UTF8.GetBytes(Api.Manifests.OciImage(configDigest, config.Length, [(layerDigest, layer.Length)]));
        var digest = DigestOf(manifest);
        _manifests[digest] = (manifest, Api.Manifests.OciManifestType);
        _tags[$"{name}:{tag}"] = digest;
        return (digest, manifest, layerDigest);
    }

    public void RemoveTag(string name, string tag) => _tags.TryRemove($"{name}:{tag}", out _);

    private Task TokenAsync(HttpContext context)
    {
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));
        if (context.Request.Headers.Authorization.ToString() != expected)
        {
            context.Response.StatusCode = 401;
            return Task.CompletedTask;
        }
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync($$"""{"token":"{{Token}}","expires_in":300}""");
    }

    private async Task ServeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value!;
        _requests.AddOrUpdate($"{context.Request.Method} {path}", 1, (_, n) => n + 1);
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        if (RequireToken && context.Request.Headers.Authorization.ToString() != $"Bearer {Token}")
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{Url}token\",service=\"fake\",scope=\"repository:x:pull\"";
            return;
        }
        var rest = path["/v2/".Length..];
        var segments = rest.Split('/');
        if (segments.Length < 3)
        {
            context.Response.StatusCode = 404;
            return;
        }
        var name = string.Join('/', segments[..^2]);
        var kind = segments[^2];
        var argument = segments[^1];
        if (kind == "manifests")
        {
            var digest = argument.StartsWith("sha256:", StringComparison.Ordinal) ? argument : _tags.GetValueOrDefault($"{name}:{argument}");
            if (digest is null || !_manifests.TryGetValue(digest, out var manifest))
            {
                context.Response.StatusCode = 404;
                return;
            }
            context.Response.ContentType = manifest.MediaType;
            context.Response.ContentLength = manifest.Bytes.Length;
            context.Response.Headers["Docker-Content-Digest"] = digest;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                if (StallManifestBodies is { } stall)
                {
                    await context.Response.Body.WriteAsync(manifest.Bytes.AsMemory(0, manifest.Bytes.Length / 2));
                    await context.Response.Body.FlushAsync();
                    await stall.Task;
                }
                await context.Response.Body.WriteAsync(manifest.Bytes);
            }
            return;
        }
        if (kind == "blobs" && _blobs.TryGetValue(argument, out var blob))
        {
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = blob.Length;
            context.Response.Headers["Docker-Content-Digest"] = argument;
            if (HttpMethods.IsHead(context.Request.Method))
            {
                return;
            }
            await context.Response.StartAsync();
            if (HoldBlobBodies is { } hold)
            {
                await hold.Task;
            }
            var sent = blob;
            if (CorruptBlobs)
            {
                sent = (byte[])blob.Clone();
                sent[sent.Length / 2] ^= 0xFF;
            }
            await context.Response.Body.WriteAsync(sent);
            return;
        }
        if (kind == "tags" && argument == "list")
        {
            var tags = _tags.Keys.Where(k => k.StartsWith(name + ":", StringComparison.Ordinal)).Select(k => k[(name.Length + 1)..]).Order(StringComparer.Ordinal).ToList();
            if (tags.Count == 0)
            {
                context.Response.StatusCode = 404;
                return;
            }
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"name":"{{name}}","tags":[{{string.Join(',', tags.Select(t => $"\"{t}\""))}}]}""");
            return;
        }
        context.Response.StatusCode = (int)HttpStatusCode.NotFound;
    }

    public async ValueTask DisposeAsync()
    {
        HoldBlobBodies?.TrySetResult();
        StallManifestBodies?.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
