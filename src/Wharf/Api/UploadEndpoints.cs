using Wharf.Auth;
using Wharf.Distribution;
using Wharf.Registry;

namespace Wharf.Api;

/// <summary>
/// <c>/v2/&lt;name&gt;/blobs/uploads/</c>: start (or mount, or upload whole), and the session at
/// <c>.../uploads/&lt;id&gt;</c>: status, append, complete, cancel.
/// </summary>
internal static class UploadEndpoints
{
    public static async Task StartAsync(HttpContext context, string name)
    {
        var repository = RepositoryName.Parse(name);
        var query = context.Request.Query;
        var uploads = context.RequestServices.GetRequiredService<UploadService>();

        if (query.TryGetValue("mount", out var mount))
        {
            var digest = Digest.Parse(mount);
            // Without 'from' the spec lets the registry mount any copy it holds that the caller may read.
            var from = query.TryGetValue("from", out var fromText) ? RepositoryName.Parse(fromText) : null;
            if (await MayMountFromAsync(context, from) && await context.RequestServices.GetRequiredService<BlobService>().TryMountAsync(repository, digest, from, context.RequestAborted) is not null)
            {
                BlobCreated(context, repository, digest);
                return;
            }
            // The blob cannot be mounted: the spec says to fall back to an ordinary upload session.
        }
        else if (query.TryGetValue("digest", out var digestText))
        {
            var digest = Digest.Parse(digestText);
            var blob = await uploads.UploadMonolithicAsync(repository, digest, context.Request.Body, context.RequestAborted);
            BlobCreated(context, repository, blob.Digest);
            return;
        }

        var status = await uploads.StartAsync(repository, context.RequestAborted);
        SessionResponse(context, repository, status, StatusCodes.Status202Accepted);
    }

    public static async Task StatusAsync(HttpContext context, string name, string id)
    {
        var repository = RepositoryName.Parse(name);
        var status = await context.RequestServices.GetRequiredService<UploadService>().GetStatusAsync(repository, id, context.RequestAborted);
        SessionResponse(context, repository, status, StatusCodes.Status204NoContent);
    }

    public static async Task AppendAsync(HttpContext context, string name, string id)
    {
        var repository = RepositoryName.Parse(name);
        var range = ReadContentRange(context);
        var status = await context.RequestServices.GetRequiredService<UploadService>()
            .AppendAsync(repository, id, context.Request.Body, range, context.Request.ContentLength, context.RequestAborted);
        SessionResponse(context, repository, status, StatusCodes.Status202Accepted);
    }

    public static async Task CompleteAsync(HttpContext context, string name, string id)
    {
        var repository = RepositoryName.Parse(name);
        var digestText = context.Request.Query["digest"].ToString();
        if (digestText.Length == 0)
        {
            throw new RegistryException(ErrorCode.DigestInvalid, "the digest query parameter is required to complete an upload");
        }
        var digest = Digest.Parse(digestText);
        var range = ReadContentRange(context);
        var blob = await context.RequestServices.GetRequiredService<UploadService>()
            .CompleteAsync(repository, id, digest, context.Request.Body, range, context.Request.ContentLength, context.RequestAborted);
        BlobCreated(context, repository, blob.Digest);
    }

    public static async Task CancelAsync(HttpContext context, string name, string id)
    {
        var repository = RepositoryName.Parse(name);
        await context.RequestServices.GetRequiredService<UploadService>().CancelAsync(repository, id, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    // A mount reads the source repository, so the caller must be allowed to pull from it; without
    // that right the client simply uploads the blob. With access control on, the automatic mount
    // (no source named) is offered only to callers who may pull everything.
    private static async Task<bool> MayMountFromAsync(HttpContext context, RepositoryName? from)
    {
        var authorizer = context.RequestServices.GetRequiredService<RegistryAuthorizer>();
        if (!authorizer.Enabled)
        {
            return true;
        }
        var caller = await authorizer.AuthenticateAsync(context);
        return from is null
            ? caller.Grants is null && authorizer.IsAdmin(caller.Name)
            : await authorizer.MayAsync(context, from.Value, RegistryAction.Pull);
    }

    private static ContentRange? ReadContentRange(HttpContext context)
    {
        var header = context.Request.Headers.ContentRange.ToString();
        if (header.Length == 0)
        {
            return null;
        }
        return ContentRange.TryParse(header, out var range)
            ? range
            : throw new RegistryException(ErrorCode.BlobUploadInvalid, $"invalid Content-Range '{InputText.Clip(header)}': expected <start>-<end>");
    }

    private static void BlobCreated(HttpContext context, RepositoryName repository, Digest digest)
    {
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers.Location = $"/v2/{repository}/blobs/{digest}";
        context.Response.Headers[RegistryHeaders.ContentDigest] = digest.ToString();
        context.Response.ContentLength = 0;
    }

    private static void SessionResponse(HttpContext context, RepositoryName repository, UploadStatus status, int statusCode)
    {
        context.Response.StatusCode = statusCode;
        context.Response.Headers.Location = $"/v2/{repository}/blobs/uploads/{status.Id}";
        context.Response.Headers[RegistryHeaders.UploadUuid] = status.Id.Value;
        context.Response.Headers.Range = status.RangeHeader;
        if (statusCode != StatusCodes.Status204NoContent)
        {
            context.Response.ContentLength = 0;
        }
    }
}
