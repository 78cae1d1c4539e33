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

    public async Task<Page<string>> ListRepositoriesAsync(int? n, string? last, CancellationToken cancellationToken) =>
        n == 0 ? new Page<string>([], false) : await metadata.ListRepositoriesAsync(Clamp(n), last, cancellationToken);

    private static int? Clamp(int? n) => n is { } value ? Math.Min(value, MaxPageSize) : null;

    private static RegistryException UnknownRepository(RepositoryName repository) =>
        new(ErrorCode.NameUnknown, $"repository {repository} is not known to this registry");
}
