using Wharf.Distribution;
using Wharf.Metadata;

namespace Wharf.Registry;

/// <summary>Tag lists and the catalog, in lexical order, paginated with <c>n</c> and <c>last</c>.</summary>
public sealed class ListingService(IMetadataStore metadata)
{
    /// <summary>The most results one page may hold, whatever <c>n</c> asks for.</summary>
    public const int MaxPageSize = 10_000;

    public async Task<Page<string>> ListTagsAsync(RepositoryName repository, int? n, string? last, CancellationToken cancellationToken)
    {
        if (n == 0)
        {
            // An explicit n=0 asks for nothing, but the repository must still exist.
            _ = await metadata.ListTagsAsync(repository, 0, last, cancellationToken) ?? throw UnknownRepository(repository);
            return new Page<string>([], false);
        }
        return await metadata.ListTagsAsync(repository, Clamp(n), last, cancellationToken) ?? throw UnknownRepository(repository);
    }

    /// <param name="visible">When given, only the repositories it accepts are listed (access control);
    /// pages are still filled up to <paramref name="n"/>.</param>
    public async Task<Page<string>> ListRepositoriesAsync(int? n, string? last, Func<string, bool>? visible, CancellationToken cancellationToken)
    {
        if (n == 0)
        {
            return new Page<string>([], false);
        }
        if (visible is null)
        {
            return await metadata.ListRepositoriesAsync(Clamp(n), last, cancellationToken);
        }
        var wanted = Clamp(n) ?? int.MaxValue;
        var items = new List<string>();
        while (true)
        {
            var batch = await metadata.ListRepositoriesAsync(1000, last, cancellationToken);
            foreach (var name in batch.Items)
            {
                if (!visible(name))
                {
                    continue;
                }
                if (items.Count == wanted)
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

    private static int? Clamp(int? n) => n is { } value ? Math.Min(value, MaxPageSize) : null;

    private static RegistryException UnknownRepository(RepositoryName repository) =>
        new(ErrorCode.NameUnknown, $"repository {repository} is not known to this registry");
}
