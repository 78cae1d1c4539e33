using System.Text.Json;
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
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, new TagList(repository.Value, page.Items), ApiJson.Default.TagList, context.RequestAborted);
    }
}
