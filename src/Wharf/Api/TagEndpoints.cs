using Wharf.Distribution;
using Wharf.Registry;

namespace Wharf.Api;

/// <summary><c>GET /v2/&lt;name&gt;/tags/list</c>.</summary>
internal static class TagEndpoints
{
    public static async Task ListAsync(HttpContext context, string name)
    {
        var repository = RepositoryName.Parse(name);
        var pagination = Pagination.FromQuery(context);
        var page = await context.RequestServices.GetRequiredService<ListingService>().ListTagsAsync(repository, pagination.N, pagination.Last, context.RequestAborted);
        pagination.AddNextLink(context, $"/v2/{repository}/tags/list", page);
        await ApiJsonWriter.WriteAsync(context, new TagList(repository.Value, page.Items), ApiJson.Default.TagList, "application/json");
    }
}
