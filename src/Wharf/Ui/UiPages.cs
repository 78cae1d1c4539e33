using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Wharf.Ui;

/// <summary>
/// The web UI's pages and assets, embedded in the executable (no files to install, nothing
/// fetched from elsewhere, so it works offline). Every page is the same HTML shell whose script
/// draws the view its path names: <c>/</c> (repositories), <c>/r/&lt;name&gt;</c> (tags),
/// <c>/r/&lt;name&gt;:&lt;tag&gt;</c> and <c>/r/&lt;name&gt;@&lt;digest&gt;</c> (one manifest). Assets
/// are at <c>/wharf/ui/&lt;file&gt;</c>.
/// </summary>
internal static class UiPages
{
    public const string AssetPrefix = "/wharf/ui/";

    private const string ResourcePrefix = "wharf-ui/";

    // Only this registry's own script and styles run on its pages: whatever a repository name,
    // label or annotation holds can never become script.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly Lazy<IReadOnlyDictionary<string, Asset>> Assets = new(LoadAssets);

    public static IEndpointRouteBuilder MapUiPages(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/", ["GET", "HEAD"], context => ServeAsync(context, "index.html"));
        // /r/<name>[:tag|@digest]; without a name there is nothing to show.
        app.MapMethods("/r/{**path}", ["GET", "HEAD"], context =>
            ServeAsync(context, context.Request.RouteValues["path"] is string { Length: > 0 } ? "index.html" : ""));
        app.MapMethods(AssetPrefix + "{file}", ["GET", "HEAD"], context =>
            ServeAsync(context, context.Request.RouteValues["file"] as string ?? ""));
        return app;
    }

    private static async Task ServeAsync(HttpContext context, string file)
    {
        if (!Assets.Value.TryGetValue(file, out var asset))
        {
            throw new Distribution.RegistryException(Distribution.ErrorCode.Unsupported, $"no resource at {context.Request.Path}", status: 404);
        }
        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        // Revalidated on every load (a 304 costs nothing), so an upgrade is seen at once.
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.Vary = "Accept-Encoding";
        if (file.EndsWith(".html", StringComparison.Ordinal))
        {
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers["Referrer-Policy"] = "same-origin";
            headers.XFrameOptions = "DENY";
        }
        if (context.Request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        context.Response.ContentType = asset.ContentType;
        var body = asset.Bytes;
        if (AcceptsBrotli(context.Request))
        {
            headers.ContentEncoding = "br";
            body = asset.Brotli;
        }
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        }
    }

    private static bool AcceptsBrotli(HttpRequest request) =>
        request.Headers.AcceptEncoding.ToString().Split(',')
            .Any(coding => coding.Split(';')[0].Trim().Equals("br", StringComparison.OrdinalIgnoreCase) && !coding.Replace(" ", "", StringComparison.Ordinal).Contains("q=0", StringComparison.Ordinal));

    private sealed record Asset(byte[] Bytes, byte[] Brotli, string ContentType, string ETag);

    // Read once from the assembly and compressed once: a few tens of KiB in all.
    private static Dictionary<string, Asset> LoadAssets()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            using var compressed = new MemoryStream();
            using (var brotli = new BrotliStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                brotli.Write(bytes);
            }
            var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"";
            assets[name[ResourcePrefix.Length..]] = new Asset(bytes, compressed.ToArray(), ContentTypeOf(name), etag);
        }
        return assets;
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };
}
