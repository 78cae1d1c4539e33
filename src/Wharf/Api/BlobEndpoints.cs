using Wharf.Distribution;
using Wharf.Events;
using Wharf.Registry;

namespace Wharf.Api;

/// <summary><c>/v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>: GET, HEAD and DELETE.</summary>
internal static class BlobEndpoints
{
    public static async Task GetAsync(HttpContext context, string name, string digestText)
    {
        var repository = RepositoryName.Parse(name);
        var digest = Digest.Parse(digestText);
        var blobs = context.RequestServices.GetRequiredService<BlobService>();
        if (HttpMethods.IsHead(context.Request.Method) && ContentResults.IsPlainGet(context.Request))
        {
            // The existence check clients make for every layer: answered from the metadata alone.
            var size = await blobs.GetSizeAsync(repository, digest, context.RequestAborted);
            ContentResults.WriteHeadHeaders(context, digest, MediaTypes.OctetStream, size);
            return;
        }
        var blob = await blobs.GetAsync(repository, digest, context.RequestAborted);
        if (blob.RedirectUrl is { } url && HttpMethods.IsGet(context.Request.Method))
        {
            // Distribution spec (pulling blobs): a registry may answer 307 with the blob's location;
            // the bytes then flow from the object store, Range headers included.
            context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            // As signed: re-escaping the query could change what the signature covers.
            context.Response.Headers.Location = url.OriginalString;
            context.Response.Headers[RegistryHeaders.ContentDigest] = digest.ToString();
        }
        else
        {
            await ContentResults.SendAsync(context, digest, MediaTypes.OctetStream, blob.LocalFile, blob.OpenAsync, enableRanges: true, ErrorCode.BlobUnknown);
        }
        await PullEvents.RecordAsync(context, new RegistryEvent(EventActions.Pull, EventTargetKind.Blob, repository, digest, MediaTypes.OctetStream, blob.Size));
    }

    public static async Task DeleteAsync(HttpContext context, string name, string digestText)
    {
        var repository = RepositoryName.Parse(name);
        var digest = Digest.Parse(digestText);
        await context.RequestServices.GetRequiredService<BlobService>().DeleteAsync(repository, digest, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }
}
