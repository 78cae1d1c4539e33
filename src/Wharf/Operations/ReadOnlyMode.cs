using Microsoft.Extensions.Options;
using Wharf.Configuration;
using Wharf.Metadata;

namespace Wharf.Operations;

/// <summary>Whether the registry refuses writes: pushes and deletes get 405 UNSUPPORTED, pulls go
/// on, and background work that writes (the upload purge, garbage collection, notifications)
/// pauses while it is on.</summary>
public interface IReadOnlyMode
{
    bool IsReadOnly { get; }
}

/// <summary>
/// Read-only when <c>Storage:ReadOnly</c> says so (for the process's whole life), or while the
/// switch is on. The switch (<c>PUT /wharf/read-only</c>) is kept in the metadata store, so every
/// replica sharing it follows (each reads it every <see cref="ReadOnlySwitch.PollInterval"/>) and
/// a restart keeps it.
/// </summary>
internal sealed class ReadOnlyMode(IOptions<StorageOptions> storage) : IReadOnlyMode
{
    private volatile bool _switchedOn;

    public bool Configured { get; } = storage.Value.ReadOnly;

    public bool SwitchedOn
    {
        get => _switchedOn;
        set => _switchedOn = value;
    }

    public bool IsReadOnly => Configured || _switchedOn;
}

/// <summary>Reads the stored read-only switch at start and then every few seconds.</summary>
internal sealed partial class ReadOnlySwitch(ReadOnlyMode mode, IMetadataStore metadata, ILogger<ReadOnlySwitch> logger) : BackgroundService
{
    /// <summary>The switch's key among the store's small named values.</summary>
    public const string Key = "read-only";

    /// <summary>How soon a replica follows a switch made through another: one indexed read each time.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    public static async Task SetAsync(IMetadataStore metadata, ReadOnlyMode mode, bool on, CancellationToken cancellationToken)
    {
        await metadata.SetProgressAsync(Key, on ? "on" : null, cancellationToken);
        mode.SwitchedOn = on;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the server listens: a registry switched read-only stays so across a restart.
        await ReadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await ReadAsync(stoppingToken);
        }
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var on = await metadata.GetProgressAsync(Key, cancellationToken) is not null;
            if (on != mode.SwitchedOn)
            {
                mode.SwitchedOn = on;
                Log.Switched(logger, on ? "read-only" : "writable");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The store is unreachable: keep the last known state; /readyz reports the store.
            Log.ReadFailed(logger, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5100, Level = LogLevel.Warning, Message = "The registry is now {State} (switched through /wharf/read-only)")]
        public static partial void Switched(ILogger logger, string state);

        [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Reading the read-only switch failed; keeping its last state")]
        public static partial void ReadFailed(ILogger logger, Exception exception);
    }
}
