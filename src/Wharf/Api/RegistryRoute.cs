namespace Wharf.Api;

internal enum RouteKind
{
    Base,
    Catalog,
    Tags,
    Manifest,
    Blob,
    UploadStart,
    Upload,
    Referrers,
}

/// <summary>
/// The resource a <c>/v2/...</c> path names. Repository names have any number of components, so
/// ASP.NET's route templates (one catch-all, last) cannot express these URLs; they are read from
/// the right, where the resource keywords are. The name itself is validated by the endpoint.
/// </summary>
internal readonly record struct RegistryRoute(RouteKind Kind, string Name = "", string Argument = "")
{
    /// <param name="rest">The path after <c>/v2/</c>, already percent-decoded by the server.</param>
    public static bool TryParse(string rest, out RegistryRoute route)
    {
        route = default;
        if (rest.Length == 0)
        {
            route = new RegistryRoute(RouteKind.Base);
            return true;
        }
        if (rest == "_catalog")
        {
            route = new RegistryRoute(RouteKind.Catalog);
            return true;
        }
        // "<name>/blobs/uploads/" ends in a slash; nothing else may.
        var uploadStart = rest.EndsWith("/blobs/uploads/", StringComparison.Ordinal) || rest.EndsWith("/blobs/uploads", StringComparison.Ordinal);
        var segments = rest.TrimEnd('/').Split('/');
        var n = segments.Length;
        if (n < 3 || (rest.EndsWith('/') && !uploadStart))
        {
            return false;
        }
        string Name(int count) => string.Join('/', segments, 0, count);

        if (uploadStart)
        {
            route = new RegistryRoute(RouteKind.UploadStart, Name(n - 2));
        }
        else if (segments[n - 2] == "tags" && segments[n - 1] == "list")
        {
            route = new RegistryRoute(RouteKind.Tags, Name(n - 2));
        }
        else if (segments[n - 2] == "manifests")
        {
            route = new RegistryRoute(RouteKind.Manifest, Name(n - 2), segments[n - 1]);
        }
        else if (n >= 4 && segments[n - 3] == "blobs" && segments[n - 2] == "uploads")
        {
            route = new RegistryRoute(RouteKind.Upload, Name(n - 3), segments[n - 1]);
        }
        else if (segments[n - 2] == "referrers")
        {
            route = new RegistryRoute(RouteKind.Referrers, Name(n - 2), segments[n - 1]);
        }
        else if (segments[n - 2] == "blobs")
        {
            route = new RegistryRoute(RouteKind.Blob, Name(n - 2), segments[n - 1]);
        }
        else
        {
            return false;
        }
        return true;
    }
}
