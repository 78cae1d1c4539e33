using Microsoft.Extensions.Options;
using Wharf.Configuration;
using Wharf.Registry;

namespace Wharf.Maintenance;

/// <summary>Discards upload sessions older than <see cref="LimitOptions.UploadSessionMaxAge"/>, so an
/// abandoned push cannot hold disk space for ever. Runs at start and then periodically.</summary>
internal sealed partial class UploadPurge(UploadService uploads, IOptions<LimitOptions> limits, TimeProvider time, ILogger<UploadPurge> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var maxAge = limits.Value.UploadSessionMaxAge;
        // Often enough that a session never outlives its age by much; never more than every minute.
        var interval = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(1).Ticks, maxAge.Ticks / 10));
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                var purged = await uploads.PurgeStartedBeforeAsync(time.GetUtcNow() - maxAge, stoppingToken);
                if (purged > 0)
                {
                    Log.Purged(logger, purged, maxAge);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.Failed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Discarded {Count} upload sessions older than {MaxAge}")]
        public static partial void Purged(ILogger logger, int count, TimeSpan maxAge);

        [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Discarding old upload sessions failed; will retry")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
