using System.Runtime;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Wharf.Metadata;

namespace Wharf.Server;

/// <summary>Memory settings (configuration section <c>Memory</c>).</summary>
public sealed class MemoryOptions
{
    public const string Section = "Memory";

    /// <summary>After a burst of requests, once none has come for this long, the server compacts
    /// its heap and returns what it no longer uses to the operating system. 0 turns it off.</summary>
    public TimeSpan TrimAfterIdle { get; set; } = TimeSpan.FromSeconds(5);

    public IEnumerable<string> Validate()
    {
        if (TrimAfterIdle < TimeSpan.Zero)
        {
            yield return "Memory:TrimAfterIdle must be 0 (off) or positive";
        }
    }
}

/// <summary>
/// Gives memory back once traffic stops. The garbage collector sizes its heap for the load it saw
/// and keeps it: a registry that served a burst of pulls would otherwise sit at its peak for hours.
/// When no request has started or is running for <see cref="MemoryOptions.TrimAfterIdle"/>, this
/// runs one aggressive, compacting collection (which decommits free heap) and lets go of the
/// network buffers the transport keeps pooled, if the heap grew by more than a few MiB since the
/// last time; then it waits for traffic again. The collection takes milliseconds, and only ever
/// while nothing is being served. SQLite's reader connections empty their page caches too (a
/// burst fills them whatever it reads), and the C heap hands their pages back.
/// </summary>
internal sealed partial class IdleMemoryTrim(IOptions<MemoryOptions> options, IMemoryPoolFactory<byte> pools, IMetadataStore metadata, ILogger<IdleMemoryTrim> logger) : BackgroundService
{
    private static long s_started;
    private static long s_running;

    /// <summary>Counts requests, for the trimmer to know when the server is idle (two interlocked
    /// operations per request).</summary>
    public static IApplicationBuilder UseIdleTracking(IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        Interlocked.Increment(ref s_started);
        Interlocked.Increment(ref s_running);
        try
        {
            await next(context);
        }
        finally
        {
            Interlocked.Decrement(ref s_running);
        }
    });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idleFor = options.Value.TrimAfterIdle;
        if (idleFor <= TimeSpan.Zero)
        {
            return;
        }
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(idleFor.TotalMilliseconds / 5, 100, 1000));
        var seen = Volatile.Read(ref s_started);
        var quietSince = DateTime.UtcNow;
        var trimmed = true; // Nothing to give back before the first request.
        using var timer = new PeriodicTimer(tick);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var started = Volatile.Read(ref s_started);
            if (started != seen || Volatile.Read(ref s_running) > 0)
            {
                seen = started;
                quietSince = DateTime.UtcNow;
                trimmed = false;
                continue;
            }
            if (trimmed || DateTime.UtcNow - quietSince < idleFor)
            {
                continue;
            }
            trimmed = true;
            // SQLite's page caches fill whatever the load, and refill in a few milliseconds.
            (Observability.TelemetryServices.Unwrap(metadata) as SqliteMetadataStore)?.ReleaseMemory();
            // A few requests (a metrics scrape, a health check) leave nothing worth a collection.
            if (GC.GetGCMemoryInfo().TotalCommittedBytes > _committedAfterTrim + GrowthWorthTrimming)
            {
                Trim();
            }
        }
    }

    // Committed heap above what the last trim left before another trim is worth its pause.
    private const long GrowthWorthTrimming = 16 * 1024 * 1024;

    private long _committedAfterTrim;

    private void Trim()
    {
        var before = Environment.WorkingSet;
        (pools as LargeBlockMemoryPoolFactory)?.TrimAll();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _committedAfterTrim = GC.GetGCMemoryInfo().TotalCommittedBytes;
        var beforeMiB = before / (1024 * 1024);
        var afterMiB = Environment.WorkingSet / (1024 * 1024);
        Log.Trimmed(logger, beforeMiB, afterMiB);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7100, Level = LogLevel.Debug, Message = "Idle: heap compacted and returned, resident memory {Before} MiB -> {After} MiB")]
        public static partial void Trimmed(ILogger logger, long before, long after);
    }
}
