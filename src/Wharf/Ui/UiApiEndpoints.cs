using System.Globalization;
using System.Text.Json;
using Wharf.Api;
using Wharf.Auth;
using Wharf.Distribution;
using Wharf.Metadata;
using Wharf.Registry;

namespace Wharf.Ui;

/// <summary>
/// <c>/wharf/ui/api/...</c>: the small JSON API the web UI's pages read, answered from the metadata
/// store (never by reading manifests). The same access rules as the registry API: only the
/// repositories the caller may pull are listed, and a repository's tags need pull on it.
/// </summary>
internal static class UiApiEndpoints
{
    public const string RepositoriesPath = "/wharf/ui/api/repositories";
    public const string TagsPath = "/wharf/ui/api/tags";

    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;

    // Names are walked in batches of this many while access rules hide some of them.
    private const int VisibilityBatch = 1000;

    public static IEndpointRouteBuilder MapUiApiEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(RepositoriesPath, UiRequest.Handle(ListRepositoriesAsync));
        app.MapGet(TagsPath, UiRequest.Handle(ListTagsAsync));
        return app;
    }

    // {"repositories":[{"name":"a/b","tags":3,"size":1234,"lastPush":"2026-01-02T03:04:05.678Z"}]}
    private static async Task ListRepositoriesAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var (n, last) = PageFromQuery(context);
        var contains = Filter(context);
        var authorizer = services.GetRequiredService<RegistryAuthorizer>();
        var caller = authorizer.Enabled ? await authorizer.AuthenticateAsync(context) : null;
        // Exactly the catalog's rule: callers see only the repositories they may pull.
        Func<string, bool>? visible = caller is null || authorizer.SeesEverything(caller)
            ? null
            : name => authorizer.MayList(caller, name);
        var metadata = services.GetRequiredService<IMetadataStore>();
        var page = await ListVisibleAsync(metadata, contains, n, last, visible, context.RequestAborted);
        var summaries = await metadata.GetRepositorySummariesAsync(page.Items, context.RequestAborted);

        AddNextLink(context, RepositoriesPath, page, n, page.Items.Count > 0 ? page.Items[^1] : null, ("filter", contains));
        await using var json = UiJson.Start(context);
        json.WriteStartObject();
        json.WriteStartArray("repositories");
        foreach (var repository in summaries)
        {
            json.WriteStartObject();
            json.WriteString("name", repository.Name);
            json.WriteNumber("tags", repository.TagCount);
            json.WriteNumber("size", repository.Size);
            UiJson.WriteTime(json, "lastPush", repository.LastPush);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    // {"name":"a/b","tags":[{"name":"v1","digest":"sha256:...","mediaType":"...","kind":"image",
    //   "artifactType":null,"manifestSize":500,"size":1234,"lastPush":"...","platforms":[]}],"mayDelete":true}
    private static async Task ListTagsAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var repository = RepositoryName.Parse(context.Request.Query["repository"].ToString());
        // Before the store is asked: an unknown repository and a forbidden one look alike.
        await services.GetRequiredService<RegistryAuthorizer>().RequireAsync(context, repository.Value, RegistryAction.Pull);
        var (n, last) = PageFromQuery(context);
        var contains = Filter(context);
        var sort = context.Request.Query["sort"].ToString();
        var order = sort switch
        {
            "" or "name" => TagOrder.Name,
            "date" => TagOrder.Date,
            _ => throw new RegistryException(ErrorCode.Unsupported, $"sort must be name or date, not '{InputText.Clip(sort)}'", status: 400),
        };
        var page = await services.GetRequiredService<IMetadataStore>().ListTagSummariesAsync(repository, contains, order, n, last, context.RequestAborted)
            ?? throw new RegistryException(ErrorCode.NameUnknown, $"repository {repository} is not known to this registry");

        var platforms = await IndexPlatformsAsync(services.GetRequiredService<ManifestService>(), repository, page.Items, context.RequestAborted);
        var mayDelete = await UiManifestEndpoints.MayDeleteAsync(context, repository);

        AddNextLink(context, TagsPath, page, n, page.Items.Count > 0 ? page.Items[^1].Name : null,
            ("repository", repository.Value), ("filter", contains), ("sort", order == TagOrder.Date ? "date" : ""));
        await using var json = UiJson.Start(context);
        json.WriteStartObject();
        json.WriteString("name", repository.Value);
        json.WriteBoolean("mayDelete", mayDelete);
        json.WriteStartArray("tags");
        foreach (var tag in page.Items)
        {
            json.WriteStartObject();
            json.WriteString("name", tag.Name);
            UiJson.WriteManifestType(json, tag.Digest, tag.MediaType, tag.ArtifactType);
            json.WriteNumber("manifestSize", tag.ManifestSize);
            // What a pull of it downloads: the manifest, its config and its layers. An index's
            // children are manifests of their own, each with its platform's size.
            json.WriteNumber("size", tag.ManifestSize + tag.ReferencedSize);
            UiJson.WriteTime(json, "lastPush", tag.UpdatedAt);
            json.WriteStartArray("platforms");
            foreach (var platform in platforms.GetValueOrDefault(tag.Digest, []))
            {
                json.WriteStringValue(platform);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    // The platforms of the indexes on the page, from the indexes themselves: small documents,
    // usually in the manifest cache already, read a few at a time.
    private static async Task<Dictionary<Digest, List<string>>> IndexPlatformsAsync(ManifestService manifests, RepositoryName repository, IReadOnlyList<TagSummary> tags, CancellationToken cancellationToken)
    {
        var indexes = tags.Where(t => ManifestKind.Of(t.MediaType, t.ArtifactType) == ManifestKind.Index).Select(t => t.Digest).Distinct().ToList();
        var platforms = new System.Collections.Concurrent.ConcurrentDictionary<Digest, List<string>>();
        await Parallel.ForEachAsync(indexes, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (digest, ct) =>
        {
            try
            {
                var (_, bytes) = await StoredManifests.ReadAsync(manifests, repository, Reference.FromDigest(digest), ct);
                using var document = StoredManifests.Parse(bytes);
                platforms[digest] = document is null ? [] : StoredManifests.Platforms(document.RootElement);
            }
            catch (RegistryException)
            {
                // Deleted since the page was listed: the row shows no platforms.
            }
        });
        return new Dictionary<Digest, List<string>>(platforms);
    }

    private static async Task<Page<string>> ListVisibleAsync(IMetadataStore metadata, string contains, int n, string? last, Func<string, bool>? visible, CancellationToken cancellationToken)
    {
        if (visible is null)
        {
            return await metadata.ListRepositoriesContainingAsync(contains, n, last, cancellationToken);
        }
        // Only names are walked here; the summaries are then read for the page alone.
        var items = new List<string>();
        while (true)
        {
            var batch = await metadata.ListRepositoriesContainingAsync(contains, VisibilityBatch, last, cancellationToken);
            foreach (var name in batch.Items)
            {
                if (!visible(name))
                {
                    continue;
                }
                if (items.Count == n)
                {
                    return new Page<string>(items, HasMore: true);
                }
                items.Add(name);
            }
            if (!batch.HasMore || batch.Items.Count == 0)
            {
                return new Page<string>(items, HasMore: false);
            }
            last = batch.Items[^1];
        }
    }

    private static (int N, string? Last) PageFromQuery(HttpContext context)
    {
        var pagination = Pagination.FromQuery(context);
        var n = pagination.N ?? DefaultPageSize;
        if (n == 0)
        {
            throw new RegistryException(ErrorCode.Unsupported, $"n must be between 1 and {MaxPageSize}", status: 400);
        }
        return (Math.Min(n, MaxPageSize), pagination.Last);
    }

    // Repository names are lower case; tag names are compared in lower case by the store.
    private static string Filter(HttpContext context) =>
        context.Request.Query["filter"].ToString().ToLowerInvariant();

    private static void AddNextLink<T>(HttpContext context, string path, Page<T> page, int n, string? lastName, params (string Name, string Value)[] keep)
    {
        if (!page.HasMore || lastName is null)
        {
            return;
        }
        var next = $"{path}?n={n.ToString(CultureInfo.InvariantCulture)}&last={Uri.EscapeDataString(lastName)}";
        foreach (var (name, value) in keep)
        {
            if (value.Length > 0)
            {
                next += $"&{name}={Uri.EscapeDataString(value)}";
            }
        }
        context.Response.Headers.Link = $"<{next}>; rel=\"next\"";
    }
}
