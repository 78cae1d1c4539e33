using Wharf.Configuration;
using Wharf.Gc;
using Wharf.Metadata;
using Wharf.Metadata.PostgreSql;
using Wharf.Registry;
using Wharf.Storage;

namespace Wharf.Cli;

/// <summary>
/// <c>wharf gc [--dry-run]</c>: a full collection now, beside a running registry or without one.
/// Finishes deletions a dead process left, sweeps the blob store for files the metadata does not
/// know (queued, due after the review delay), queues everything the metadata holds unused, then
/// reviews all that is due, as the server's worker does. With <c>--dry-run</c> nothing changes: it
/// lists what would go and what it would free.
/// </summary>
public static class GcCommand
{
    public const int Succeeded = 0;
    public const int Failed = 1;
    public const int BadUsage = 2;

    private const string Usage = """
        Usage: wharf gc [--dry-run] [--config <file.yaml>] [--Gc:DeleteUntagged true] [--Gc:ReviewDelay <hh:mm:ss>] [store settings]

        Collects garbage now: blobs no manifest references, repository links nothing in their
        repository uses (older than Gc:ReviewDelay), and with Gc:DeleteUntagged untagged manifests.
        Also walks the blob store for files the metadata does not know; those are deleted once
        Gc:ReviewDelay has passed since a sweep first found them (0: in this run).
        Reads the same settings as the server; safe to run while it serves.
        --dry-run   change nothing; list what would go (one line each) and the bytes it would free.
        Exit codes: 0 done, 1 failed, 2 bad usage or settings.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        if (args is ["-h" or "--help", ..])
        {
            await output.WriteLineAsync(Usage);
            return Succeeded;
        }
        var dryRun = args.Contains("--dry-run");
        args = [.. args.Where(a => a != "--dry-run")];
        if (CliStores.Read(args) is not { } settings)
        {
            await error.WriteLineAsync(Usage);
            return BadUsage;
        }
        if (settings.Problems.Count > 0)
        {
            await CliConfiguration.WriteProblemsAsync("gc", settings.Problems, error);
            return BadUsage;
        }
        var gc = settings.Gc;
        try
        {
            await using var stores = await CliStores.OpenAsync(settings, cancellationToken);
            stores.Metadata.ReviewDelay = gc.ReviewDelay;
            var changes = await stores.StartChangesAsync(cancellationToken);
            var collector = new GarbageCollector(stores.Metadata, stores.Storage, changes, TimeProvider.System);
            var progress = new SweepProgress(error);
            if (dryRun)
            {
                return await DryRunAsync(stores.Metadata, collector, gc, progress, output, cancellationToken);
            }
            var finished = await collector.FinishAbandonedDeletionsAsync(cancellationToken);
            var unknown = await collector.SweepAsync(queue: true, progress, cancellationToken);
            progress.Done();
            var plan = await collector.QueueEverythingUnusedAsync(gc.DeleteUntagged, cancellationToken);
            await output.WriteLineAsync($"Queued for review: {plan.Manifests.Count} untagged manifests, {plan.Links.Select(l => l.Digest).Union(plan.Blobs.Select(b => b.Digest)).Count()} blobs, {unknown.Count} blobs unknown to the metadata");
            var pass = await collector.ReviewDueAsync(GcWorkerName, gc.DeleteUntagged, cancellationToken);
            await output.WriteLineAsync($"Reviewed {pass.Reviews}: deleted {pass.BlobsDeleted} blobs ({ByteSize.Format(pass.BytesFreed)}), removed {pass.LinksRemoved} unused repository links, deleted {pass.ManifestsDeleted} untagged manifests" +
                (finished > 0 ? $"; finished {finished} deletions left by a stopped process" : ""));
            var waiting = (await stores.Metadata.GetStorageUsageAsync(DateTimeOffset.UtcNow, cancellationToken)).QueuedReviews;
            if (waiting > 0)
            {
                await output.WriteLineAsync($"{waiting} candidates are queued for a later review (at the time their event set, with the Gc:ReviewDelay of the server that recorded it); the server's collector or a later run takes them.");
            }
            return Succeeded;
        }
        catch (Exception e) when (CliStores.IsStoreFailure(e))
        {
            await error.WriteLineAsync($"wharf gc: {MetadataStores.Reason(e)}");
            return Failed;
        }
    }

    private static string GcWorkerName => $"wharf-gc/{Environment.MachineName}/{Environment.ProcessId}";

    private static async Task<int> DryRunAsync(IMetadataStore metadata, GarbageCollector collector, GcOptions gc, SweepProgress progress, TextWriter output, CancellationToken cancellationToken)
    {
        var plan = await metadata.PlanCollectionAsync(DateTimeOffset.UtcNow, gc.DeleteUntagged, cancellationToken);
        var unknown = await collector.SweepAsync(queue: false, progress, cancellationToken);
        progress.Done();
        foreach (var (repository, digest) in plan.Manifests)
        {
            await output.WriteLineAsync($"manifest {repository}@{digest}");
        }
        foreach (var (repository, digest) in plan.Links)
        {
            await output.WriteLineAsync($"link     {repository} {digest}");
        }
        foreach (var (digest, size) in plan.Blobs)
        {
            await output.WriteLineAsync($"blob     {digest} {size}");
        }
        foreach (var (digest, size) in unknown)
        {
            await output.WriteLineAsync($"unknown  {digest} {size}");
        }
        var usage = await metadata.GetStorageUsageAsync(DateTimeOffset.UtcNow, cancellationToken);
        foreach (var repository in usage.Repositories)
        {
            await output.WriteLineAsync($"usage    {repository.Repository} {repository.Blobs} blobs {repository.Bytes} bytes, {repository.ExclusiveBytes} bytes only it holds");
        }
        await output.WriteLineAsync($"Stored: {usage.Blobs} blobs, {ByteSize.Format(usage.Bytes)} (each blob once), in {usage.Repositories.Count} repositories; {usage.QueuedReviews} reviews queued, {usage.DueReviews} due.");
        var unknownBytes = unknown.Sum(u => u.Size);
        await output.WriteLineAsync($"Would delete {plan.Manifests.Count} untagged manifests, remove {plan.Links.Count} unused repository links, " +
            $"delete {plan.Blobs.Count} blobs and free {ByteSize.Format(plan.Bytes)}" +
            (plan.Manifests.Count > 0 ? " (and what only those manifests reference)" : "") + ".");
        await output.WriteLineAsync($"{unknown.Count} blobs in storage are unknown to the metadata ({ByteSize.Format(unknownBytes)}): " +
            (gc.ReviewDelay == TimeSpan.Zero ? "they would be deleted too." : $"a run would queue them, to be deleted {gc.ReviewDelay} later."));
        if (plan.Waiting.Count > 0)
        {
            await output.WriteLineAsync($"{plan.Waiting.Count} more unused blobs wait: uploaded or mounted less than {gc.ReviewDelay} ago, or being uploaded.");
        }
        return Succeeded;
    }

    /// <summary>The sweep's count on one self-rewriting line of a terminal; on a pipe, only the end.</summary>
    private sealed class SweepProgress(TextWriter error) : IProgress<long>
    {
        private readonly bool _terminal = !Console.IsErrorRedirected && ReferenceEquals(error, Console.Error);
        private long _seen;

        public void Report(long value)
        {
            _seen = value;
            if (_terminal)
            {
                error.Write($"\rSweeping the blob store: {value} blobs looked at");
            }
        }

        public void Done() => error.WriteLine(_terminal ? "" : $"Swept the blob store: {_seen} blobs looked at");
    }
}
