using System.Diagnostics;

namespace Wharf.Bench.Workloads;

/// <summary>
/// 6: the tag list of a repository with many tags and the catalog of many repositories, first
/// page and full walk. Both are populated through the API, concurrently, and that is timed too:
/// it is manifest PUT and cross-repository mount throughput.
/// </summary>
internal sealed class Listings(Bench bench) : Workload(bench)
{
    private const string CatalogPrefix = "catalog/r";

    public override string Title => $"listings ({Options.Tags:N0} tags, {Options.Repositories:N0} repositories, n={Options.PageSize})";

    public override async Task PrepareAsync(Target target)
    {
        var registry = target.Registry;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Options.SetupConcurrency };

        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, Options.Tags), parallel, async (i, _) =>
            await registry.PutManifestAsync(Bench.SmallRepository, $"t{i:D5}", Bench.Image.Manifest));
        Results.Add($"populate: PUT one manifest under {Options.Tags:N0} tags ({Options.SetupConcurrency} at a time)",
            "throughput", "PUT/s", target.Name, Options.Tags / clock.Elapsed.TotalSeconds);

        var manifest = Bench.Image.ConfigOnlyManifest();
        clock.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, Options.Repositories), parallel, async (i, _) =>
        {
            var repository = $"{CatalogPrefix}{i:D5}";
            await registry.MountAsync(repository, Bench.Image.ConfigDigest, Bench.SmallRepository);
            await registry.PutManifestAsync(repository, Bench.SmallTag, manifest);
        });
        Results.Add($"populate: {Options.Repositories:N0} repositories, mount + PUT manifest each ({Options.SetupConcurrency} at a time)",
            "throughput", "repos/s", target.Name, Options.Repositories / clock.Elapsed.TotalSeconds);
    }

    public override async Task RunAsync(Target target, int round)
    {
        var registry = target.Registry;
        var n = Options.PageSize;
        var tags = $"/v2/{Bench.SmallRepository}/tags/list?n={n}";
        var catalog = $"/v2/_catalog?n={n}";
        var expectedTags = Options.Tags + 1; // and "latest"

        // A first page is a single small request: take the median of a few per round.
        var firstTags = new List<double>();
        var firstCatalog = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var (time, _, items) = await registry.WalkAsync(tags, "tags", pages: 1, toTheEnd: false);
            firstTags.Add(time.TotalMilliseconds);
            if (items == expectedTags && n < expectedTags)
            {
                Results.Note($"{target.Name} ignores n on the tags list: its first page holds all {items:N0} tags, so its first page and full walk are the same request.");
            }
            (time, _, _) = await registry.WalkAsync(catalog, "repositories", pages: 1, toTheEnd: false);
            firstCatalog.Add(time.TotalMilliseconds);
        }
        Results.Add(Title, "tags list, first page", "ms", target.Name, firstTags.Order().ElementAt(firstTags.Count / 2));
        Results.Add(Title, "catalog, first page", "ms", target.Name, firstCatalog.Order().ElementAt(firstCatalog.Count / 2));

        var walk = await registry.WalkAsync(tags, "tags", pages: expectedTags);
        if (walk.Items != expectedTags)
        {
            throw new InvalidOperationException($"tags walk found {walk.Items} tags in {walk.Pages} pages, expected {expectedTags}");
        }
        Results.Add(Title, "tags list, full walk", "ms", target.Name, walk.Time.TotalMilliseconds);

        // The whole list in one response (no n): what distribution's tags list always answers, so
        // this is the like-for-like comparison with it. Median of a few.
        var whole = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var (time, _, items) = await registry.WalkAsync($"/v2/{Bench.SmallRepository}/tags/list", "tags", pages: 1, toTheEnd: false);
            if (items != expectedTags)
            {
                throw new InvalidOperationException($"the unpaginated tags list held {items} tags, expected {expectedTags}");
            }
            whole.Add(time.TotalMilliseconds);
        }
        Results.Add(Title, "tags list, whole list in one request", "ms", target.Name, whole.Order().ElementAt(whole.Count / 2));

        walk = await registry.WalkAsync(catalog, "repositories", pages: 10 * Options.Repositories);
        if (walk.Items < Options.Repositories)
        {
            throw new InvalidOperationException($"catalog walk found {walk.Items} repositories in {walk.Pages} pages, expected at least {Options.Repositories}");
        }
        Results.Add(Title, "catalog, full walk", "ms", target.Name, walk.Time.TotalMilliseconds);
        Results.Note($"{target.Name}: catalog walk {walk.Pages:N0} pages, {walk.Items:N0} repositories (the benchmark's other repositories included).");
    }
}
