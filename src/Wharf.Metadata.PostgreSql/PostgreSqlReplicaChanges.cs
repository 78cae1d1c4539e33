using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Wharf.Distribution;
using Wharf.Registry;

namespace Wharf.Metadata.PostgreSql;

/// <summary>
/// Replicas on one PostgreSQL database tell each other about changes with LISTEN/NOTIFY: each
/// keeps one connection listening on <see cref="Channel"/>, and publishes a change with
/// <c>pg_notify</c>. PostgreSQL hands a notification to every listener at once, in commit order;
/// the publisher waits until its own copy comes back, so that when a client is answered, the
/// other replicas have been sent the change too (their listeners apply it within moments).
/// Several registries may share a database in different schemas: a notification names the schema
/// it comes from, and the others ignore it.
/// </summary>
public sealed partial class PostgreSqlReplicaChanges : IReplicaChanges, IAsyncDisposable
{
    public const string Channel = "wharf_changes";

    // How long a publisher waits for its own notification before answering the client anyway.
    private static readonly TimeSpan EchoTimeout = TimeSpan.FromSeconds(2);
    // How often an idle listener checks that its connection is still alive.
    private static readonly TimeSpan IdleCheck = TimeSpan.FromSeconds(15);

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _scope;
    private readonly ILogger _logger;
    private readonly string _origin = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _echoes = new();
    private long _sequence;
    private volatile bool _listening;

    internal PostgreSqlReplicaChanges(NpgsqlDataSource dataSource, string scope, ILogger? logger)
    {
        _dataSource = dataSource;
        _scope = scope;
        _logger = logger ?? NullLogger.Instance;
    }

    public bool IsShared => true;

    public event Action<RepositoryChange>? ChangedElsewhere;

    public event Action? ChangesMayBeMissed;

    /// <summary>Whether the listening connection is up (changes published elsewhere are heard).</summary>
    public bool IsListening => _listening;

    public async Task PublishAsync(RepositoryChange change, CancellationToken cancellationToken)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        TaskCompletionSource? echo = null;
        if (_listening)
        {
            echo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _echoes[sequence] = echo;
        }
        try
        {
            // Fields separated by '|', which neither names nor digests contain; the schema comes
            // last because a quoted schema name could.
            var payload = string.Join('|', _origin, sequence.ToString(CultureInfo.InvariantCulture), change.Repository.Value,
                change.UnlinkedBlob?.ToString() ?? "", _scope);
            await using (var command = _dataSource.CreateCommand("SELECT pg_notify($1, $2)"))
            {
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Channel });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = payload });
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            if (echo is not null)
            {
                try
                {
                    await echo.Task.WaitAsync(EchoTimeout, cancellationToken);
                }
                catch (TimeoutException)
                {
                    Log.EchoLate(_logger, EchoTimeout);
                }
            }
        }
        finally
        {
            _echoes.TryRemove(sequence, out _);
        }
    }

    /// <summary>Listens until <paramref name="stoppingToken"/> is cancelled, reconnecting after any
    /// failure. Whenever it (re)starts listening, changes may have been missed meanwhile, so every
    /// cache is told to forget.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                _listening = true;
                ChangesMayBeMissed?.Invoke();
                while (true)
                {
                    if (!await connection.WaitAsync(IdleCheck, stoppingToken))
                    {
                        // Nothing for a while: make sure the connection is not silently dead.
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteNonQueryAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                // The store (and its connection pool) was closed: the process is stopping.
                break;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
            {
                StopListening();
                Log.ListenerFailed(_logger, e);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        StopListening();
    }

    private void StopListening()
    {
        _listening = false;
        ChangesMayBeMissed?.Invoke();
        foreach (var (_, echo) in _echoes)
        {
            echo.TrySetResult();
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        var fields = e.Payload.Split('|', 5);
        if (e.Channel != Channel || fields.Length != 5 || fields[4] != _scope)
        {
            return;
        }
        if (fields[0] == _origin)
        {
            if (long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) && _echoes.TryGetValue(sequence, out var echo))
            {
                echo.TrySetResult();
            }
            return;
        }
        if (!RepositoryName.TryParse(fields[2], out var repository))
        {
            return;
        }
        Digest? unlinked = fields[3].Length > 0 && Digest.TryParse(fields[3], out var digest) ? digest : null;
        ChangedElsewhere?.Invoke(new RepositoryChange(repository, unlinked));
    }

    public ValueTask DisposeAsync()
    {
        StopListening();
        return ValueTask.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "Listening for other replicas' changes failed; caches are dropped and listening resumes shortly")]
        public static partial void ListenerFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "A change notification did not come back within {Timeout}; answering anyway")]
        public static partial void EchoLate(ILogger logger, TimeSpan timeout);
    }
}
