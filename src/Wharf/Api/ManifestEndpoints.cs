using Wharf.Distribution;
using Wharf.Events;
using Wharf.Registry;

namespace Wharf.Api;

/// <summary><c>/v2/&lt;name&gt;/manifests/&lt;reference&gt;</c>: GET, HEAD, PUT and DELETE.</summary>
internal static class ManifestEndpoints
{
    public static async Task GetAsync(HttpContext context, string name, string referenceText)
    {
        var repository = RepositoryName.Parse(name);
        var reference = LookupReference(repository, referenceText);
        var manifest = await context.RequestServices.GetRequiredService<ManifestService>().GetAsync(repository, reference, context.RequestAborted);
        if (!MediaTypes.IsAcceptable(manifest.Record.MediaType, AcceptedTypes(context.Request)))
        {
            throw new RegistryException(ErrorCode.ManifestUnknown,
                $"manifest {reference} is a {manifest.Record.MediaType}, which the request's Accept header does not list");
        }
        if (manifest.Bytes is { } bytes)
        {
            await ContentResults.SendBytesAsync(context, manifest.Record.Digest, manifest.Record.MediaType, bytes);
        }
        else
        {
            await ContentResults.SendAsync(context, manifest.Record.Digest, manifest.Record.MediaType, manifest.LocalFile, manifest.OpenAsync, enableRanges: false, ErrorCode.ManifestUnknown);
        }
        await PullEvents.RecordAsync(context, new RegistryEvent(EventActions.Pull, EventTargetKind.Manifest, repository, manifest.Record.Digest, manifest.Record.MediaType, manifest.Record.Size, reference.TagName));
    }

    // Accept may come as several headers and as comma-separated lists; quality values are ignored.
    private static IEnumerable<string> AcceptedTypes(HttpRequest request)
    {
        foreach (var header in request.Headers.Accept)
        {
            foreach (var item in (header ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var semicolon = item.IndexOf(';', StringComparison.Ordinal);
                yield return (semicolon >= 0 ? item[..semicolon] : item).Trim().ToLowerInvariant();
            }
        }
    }

    public static async Task PutAsync(HttpContext context, string name, string referenceText)
    {
        var repository = RepositoryName.Parse(name);
        var reference = Reference.Parse(referenceText);
        var result = await context.RequestServices.GetRequiredService<ManifestService>().PutAsync(
            repository, reference, context.Request.Query["tag"], context.Request.Body, context.Request.ContentLength, context.Request.ContentType, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers.Location = $"/v2/{repository}/manifests/{result.Digest}";
        context.Response.Headers[RegistryHeaders.ContentDigest] = result.Digest.ToString();
        if (result.Subject is { } subject)
        {
            // OCI distribution 1.1: tells the client this registry indexes referrers itself.
            context.Response.Headers[RegistryHeaders.OciSubject] = subject.ToString();
        }
        if (context.Request.Query.ContainsKey("tag"))
        {
            // Distribution spec, "Pushing Manifests": one OCI-Tag header for each tag the push set.
            context.Response.Headers[RegistryHeaders.OciTag] = result.Tags.ToArray();
        }
        context.Response.ContentLength = 0;
    }

    // GET, HEAD and DELETE: a reference that is neither a tag nor a digest names no manifest (404),
    // while a malformed digest is still the client's mistake (400 DIGEST_INVALID).
    internal static Reference LookupReference(RepositoryName repository, string referenceText) =>
        Reference.ParseLookup(referenceText)
        ?? throw new RegistryException(ErrorCode.ManifestUnknown, $"manifest '{InputText.Clip(referenceText)}' is not in repository {repository}: it is neither a tag nor a digest");

    public static async Task DeleteAsync(HttpContext context, string name, string referenceText)
    {
        var repository = RepositoryName.Parse(name);
        var reference = LookupReference(repository, referenceText);
        await context.RequestServices.GetRequiredService<ManifestService>().DeleteAsync(repository, reference, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }
}
