using Wharf.Api;

namespace Wharf.Observability;

/// <summary>
/// What the request log and the request metrics say about one request beyond what HTTP shows:
/// which registry operation it was, on which repository and reference. The registry API fills it
/// in once it has parsed the path; other requests keep the defaults.
/// </summary>
internal sealed class RequestFacts
{
    /// <summary>A short, bounded name (a metric label): <c>manifest_get</c>, <c>upload_patch</c>...</summary>
    public string Operation { get; set; } = "other";

    public string? Repository { get; set; }

    /// <summary>The tag, digest or upload id the request names.</summary>
    public string? Reference { get; set; }

    /// <summary>Records what the registry API parsed from the path. An upload start that asks for a
    /// cross-repository mount (<c>?mount=</c>) is <c>blob_mount</c>, so the log and the metrics show
    /// how often clients mount rather than upload; its status says which happened (201 mounted, 202
    /// an upload session instead).</summary>
    public void Describe(RegistryRoute route, string method, IQueryCollection query)
    {
        Operation = route.Kind == RouteKind.UploadStart && query.ContainsKey("mount") ? "blob_mount" : OperationOf(route.Kind, method);
        Repository = route.Name.Length > 0 ? route.Name : null;
        Reference = route.Argument.Length > 0 ? route.Argument : null;
    }

    internal static string OperationOf(RouteKind kind, string method) => (kind, method) switch
    {
        (RouteKind.Base, _) => "base",
        (RouteKind.Catalog, _) => "catalog",
        (RouteKind.Tags, _) => "tags",
        (RouteKind.Referrers, _) => "referrers",
        (RouteKind.Manifest, "GET") => "manifest_get",
        (RouteKind.Manifest, "HEAD") => "manifest_head",
        (RouteKind.Manifest, "PUT") => "manifest_put",
        (RouteKind.Manifest, "DELETE") => "manifest_delete",
        (RouteKind.Blob, "GET") => "blob_get",
        (RouteKind.Blob, "HEAD") => "blob_head",
        (RouteKind.Blob, "DELETE") => "blob_delete",
        (RouteKind.UploadStart, _) => "upload_start",
        (RouteKind.Upload, "PATCH") => "upload_patch",
        (RouteKind.Upload, "PUT") => "upload_complete",
        (RouteKind.Upload, "GET") => "upload_status",
        (RouteKind.Upload, "DELETE") => "upload_cancel",
        _ => "unsupported",
    };

    /// <summary>Names requests outside the registry API by the path's first segment.</summary>
    internal static string OperationOf(PathString path) => path.Value switch
    {
        "/healthz" or "/readyz" => "health",
        "/metrics" => "metrics",
        var p when p?.StartsWith("/auth/", StringComparison.Ordinal) == true => "token",
        var p when p?.StartsWith("/wharf/", StringComparison.Ordinal) == true => "admin",
        _ => "other",
    };
}
