using System.Globalization;
using Wharf.Distribution;
using Wharf.Metadata;

namespace Wharf.Api;

/// <summary>The <c>n</c> and <c>last</c> query parameters of tag lists and the catalog, and the
/// <c>Link: &lt;...&gt;; rel="next"</c> header that points at the following page.</summary>
internal readonly record struct Pagination(int? N, string? Last)
{
    public static Pagination FromQuery(HttpContext context)
    {
        var query = context.Request.Query;
        int? n = null;
        if (query.TryGetValue("n", out var nText) && nText.ToString().Length > 0)
        {
            if (!int.TryParse(nText, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                throw new RegistryException(ErrorCode.Unsupported, $"n must be a non-negative integer, not '{InputText.Clip(nText)}'", status: 400);
            }
            n = value;
        }
        var last = query.TryGetValue("last", out var lastText) && lastText.ToString().Length > 0 ? lastText.ToString() : null;
        return new Pagination(n, last);
    }

    public void AddNextLink(HttpContext context, string path, Page<string> page)
    {
        if (page.HasMore && page.Items.Count > 0)
        {
            var next = $"{path}?n={page.Items.Count}&last={Uri.EscapeDataString(page.Items[^1])}";
            context.Response.Headers.Link = $"<{next}>; rel=\"next\"";
        }
    }
}
