using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Wharf.Distribution;
using Wharf.Registry;

namespace Wharf.Metadata.PostgreSql;

/// <summary>
/// Replicas on one PostgreSQL database tell each other about changes with LISTEN/NOTIFY, and a
/// change is answered only once no replica can still serve what it changed from its cache.
/// <para>
/// Each replica keeps one connection listening on <see cref="Channel"/>. PostgreSQL delivers every
/// notification to every listener in one order, the order of commit. Three kinds travel on it:
/// </para>
/// <list type="bullet">
/// <item>a <b>beat</b>, which each listening replica sends every <see cref="BeatInterval"/>. When its
/// own beat comes back, the replica has applied every change committed before the beat was sent; it
/// is <see cref="IsCurrent"/> (may answer from its caches) only while the last beat to come back was
/// sent less than <see cref="Freshness"/> ago. Other replicas count a beat as a sign of life.</item>
/// <item>a <b>change</b>. The writer waits for its own copy (by then it has heard every beat
/// committed before the change), then for an <b>ack</b> from every replica it heard a beat from in
/// the last <see cref="PeerTimeout"/>: a replica acks after applying the change.</item>
/// </list>
/// <para>
/// Why no replica serves a stale answer: a replica R serving from cache at time g has had a beat
/// come back that it sent after g − Freshness. Either that beat was committed after the change, so R
/// applied the change before it (notifications arrive in commit order); or it was committed before
/// the change, so the writer heard it, knew R as alive (PeerTimeout ≥ Freshness) and waited for R's
/// ack — or, when R never acked, for <see cref="AckDeadline"/> ≥ Freshness after the change, after
/// which R, not having heard the change, can no longer be current. So a client answered about a
/// change never reads the state before it from any replica's cache.
/// </para>
/// Several registries may share a database in different schemas: every notification names the
/// schema it comes from, and the others ignore it.
/// </summary>
public sealed partial class PostgreSqlReplicaChanges : IReplicaChanges, IAsyncDisposable
{
    public const string Channel = "wharf_changes";

    /// <summary>How often a listening replica sends a beat.</summary>
    public static readonly TimeSpan BeatInterval = TimeSpan.FromMilliseconds(100);
    /// <summary>A replica answers from its caches only while its last returned beat is younger.</summary>
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);
    /// <summary>A writer waits for the acks of the replicas it heard from within this time; at least <see cref="Freshness"/>.</summary>
    public static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(1.5);
    /// <summary>The longest a writer waits for acks; at least <see cref="Freshness"/>.</summary>
    public static readonly TimeSpan AckDeadline = TimeSpan.FromSeconds(2);
    // How often an idle listener checks that its connection is still alive.
    private static readonly TimeSpan IdleCheck = TimeSpan.FromSeconds(15);
    // Beats whose echo never came back are forgotten after this; so are replicas not heard of.
    private static readonly TimeSpan Forget = TimeSpan.FromMinutes(1);

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _scope;
    private readonly ILogger _logger;
    private readonly string _origin = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<long, PendingChange> _pending = new();
    private readonly ConcurrentDictionary<long, long> _beatsSentAt = new();
    private readonly ConcurrentDictionary<string, long> _peersHeardAt = new(StringComparer.Ordinal);
    private readonly Channel<(string Writer, long Sequence)> _acksToSend = System.Threading.Channels.Channel.CreateUnbounded<(string, long)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private long _sequence;
    private long _currentSince;
    private volatile bool _listening;

    internal PostgreSqlReplicaChanges(NpgsqlDataSource dataSource, string scope, ILogger? logger)
    {
        _dataSource = dataSource;
        _scope = scope;
        _logger = logger ?? NullLogger.Instance;
    }

    public bool IsCurrent => _listening && Stopwatch.GetElapsedTime(Volatile.Read(ref _currentSince)) < Freshness;

    public event Action<RepositoryChange>? ChangedElsewhere;

    public event Action? ChangesMayBeMissed;

    /// <summary>Whether the listening connection is up (changes published elsewhere are heard).</summary>
    public bool IsListening => _listening;

    /// <summary>The other replicas heard from within <see cref="PeerTimeout"/>: those a change waits for.</summary>
    public int LivePeerCount => LivePeers().Count;

    public async Task PublishAsync(RepositoryChange change, CancellationToken cancellationToken)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        var pending = new PendingChange();
        _pending[sequence] = pending;
        try
        {
            // Fields separated by '|', which neither names nor digests contain; the schema comes
            // last because a quoted schema name could.
            var payload = string.Join('|', "c", _origin, sequence.ToString(CultureInfo.InvariantCulture), change.Repository.Value, change.UnlinkedBlob?.ToString() ?? "", _scope);
            var started = Stopwatch.GetTimestamp();
            while (!await TryNotifyAsync(payload, cancellationToken))
            {
                if (Stopwatch.GetElapsedTime(started) > AckDeadline)
                {
                    // The change itself is committed; the client must not be told it failed. Other
                    // replicas' cached answers about it run out within their lifetime (seconds).
                    return;
                }
                await Task.Delay(BeatInterval, cancellationToken);
            }
            // Not listening, this replica hears no acks: it waits out the deadline, which is what
            // makes sure no replica still answers from a cache that predates the change.
            try
            {
                await pending.Done.Task.WaitAsync(AckDeadline, cancellationToken);
            }
            catch (TimeoutException)
            {
                if (_listening && _logger.IsEnabled(LogLevel.Information))
                {
                    var missing = pending.Missing();
                    Log.AcksLate(_logger, AckDeadline, missing);
                }
            }
        }
        finally
        {
            _pending.TryRemove(sequence, out _);
        }
    }

    private async Task<bool> TryNotifyAsync(string payload, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT pg_notify($1, $2)");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Channel });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = payload });
            await command.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            Log.PublishFailed(_logger, e);
            return false;
        }
        catch (ObjectDisposedException)
        {
            // The store closed its connections: the process is stopping (e.g. the goodbye after
            // the store was disposed); there is nobody left to tell from here.
            return false;
        }
    }

    /// <summary>Listens until <paramref name="stoppingToken"/> is cancelled, reconnecting after any
    /// failure, and meanwhile sends beats and acks. Whenever it (re)starts listening, changes may
    /// have been missed meanwhile, so every cache is told to forget.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var beats = Task.Run(() => BeatAsync(stoppingToken), CancellationToken.None);
        var acks = Task.Run(() => SendAcksAsync(stoppingToken), CancellationToken.None);
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
        _acksToSend.Writer.TryComplete();
        await Task.WhenAll(beats, acks);
        // Others need not wait for this replica's acks any longer: it answers from no cache now.
        await TryNotifyAsync(string.Join('|', "g", _origin, _scope), CancellationToken.None);
    }

    private async Task BeatAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(BeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!_listening)
                {
                    continue;
                }
                var sequence = Interlocked.Increment(ref _sequence);
                _beatsSentAt[sequence] = Stopwatch.GetTimestamp();
                await TryNotifyAsync(string.Join('|', "b", _origin, sequence.ToString(CultureInfo.InvariantCulture), _scope), stoppingToken);
                ForgetOld(_beatsSentAt);
                ForgetOld(_peersHeardAt);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static void ForgetOld<TKey>(ConcurrentDictionary<TKey, long> times) where TKey : notnull
    {
        foreach (var (key, time) in times)
        {
            if (Stopwatch.GetElapsedTime(time) > Forget)
            {
                times.TryRemove(key, out _);
            }
        }
    }

    private async Task SendAcksAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (writer, sequence) in _acksToSend.Reader.ReadAllAsync(stoppingToken))
            {
                await TryNotifyAsync(string.Join('|', "a", _origin, writer, sequence.ToString(CultureInfo.InvariantCulture), _scope), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void StopListening()
    {
        _listening = false;
        // Current again only once a beat sent after listening resumes has come back.
        Volatile.Write(ref _currentSince, 0);
        ChangesMayBeMissed?.Invoke();
    }

    private List<string> LivePeers()
    {
        var live = new List<string>();
        foreach (var (peer, heardAt) in _peersHeardAt)
        {
            if (Stopwatch.GetElapsedTime(heardAt) < PeerTimeout)
            {
                live.Add(peer);
            }
        }
        return live;
    }

    // Runs on the listening connection, one notification at a time, in commit order.
    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel != Channel)
        {
            return;
        }
        var payload = e.Payload;
        switch (payload.Length > 2 && payload[1] == '|' ? payload[0] : '\0')
        {
            case 'b':
                OnBeat(payload.Split('|', 4));
                break;
            case 'c':
                OnChange(payload.Split('|', 6));
                break;
            case 'a':
                OnAck(payload.Split('|', 5));
                break;
            case 'g':
                OnGoodbye(payload.Split('|', 3));
                break;
        }
    }

    private void OnBeat(string[] fields)
    {
        if (fields.Length != 4 || fields[3] != _scope)
        {
            return;
        }
        if (fields[1] != _origin)
        {
            _peersHeardAt[fields[1]] = Stopwatch.GetTimestamp();
        }
        else if (TryParseSequence(fields[2], out var sequence) && _beatsSentAt.TryRemove(sequence, out var sentAt))
        {
            // Everything committed before this beat was sent has been applied.
            if (sentAt > Volatile.Read(ref _currentSince))
            {
                Volatile.Write(ref _currentSince, sentAt);
            }
        }
    }

    private void OnChange(string[] fields)
    {
        if (fields.Length != 6 || fields[5] != _scope || !TryParseSequence(fields[2], out var sequence))
        {
            return;
        }
        if (fields[1] == _origin)
        {
            // Our own change is back: every beat committed before it has been heard, so the
            // replicas alive now are known. Acks can only come after this.
            if (_pending.TryGetValue(sequence, out var pending))
            {
                pending.Expect(LivePeers());
            }
            return;
        }
        _peersHeardAt[fields[1]] = Stopwatch.GetTimestamp();
        if (RepositoryName.TryParse(fields[3], out var repository))
        {
            Digest? unlinked = fields[4].Length > 0 && Digest.TryParse(fields[4], out var digest) ? digest : null;
            ChangedElsewhere?.Invoke(new RepositoryChange(repository, unlinked));
        }
        // Applied (the caches dropped what it changed): say so, even if it named nothing we know.
        _acksToSend.Writer.TryWrite((fields[1], sequence));
    }

    private void OnAck(string[] fields)
    {
        if (fields.Length != 5 || fields[4] != _scope || fields[2] != _origin || !TryParseSequence(fields[3], out var sequence))
        {
            return;
        }
        if (_pending.TryGetValue(sequence, out var pending))
        {
            pending.Acked(fields[1]);
        }
    }

    private void OnGoodbye(string[] fields)
    {
        if (fields.Length != 3 || fields[2] != _scope || fields[1] == _origin)
        {
            return;
        }
        _peersHeardAt.TryRemove(fields[1], out _);
        foreach (var (_, pending) in _pending)
        {
            pending.Acked(fields[1]);
        }
    }

    private static bool TryParseSequence(string text, out long sequence) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out sequence);

    public ValueTask DisposeAsync()
    {
        StopListening();
        return ValueTask.CompletedTask;
    }

    /// <summary>A change published and not yet confirmed: the replicas whose acks it waits for.</summary>
    private sealed class PendingChange
    {
        private HashSet<string>? _waitingFor;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Expect(List<string> peers)
        {
            lock (this)
            {
                _waitingFor = new HashSet<string>(peers, StringComparer.Ordinal);
                if (_waitingFor.Count == 0)
                {
                    Done.TrySetResult();
                }
            }
        }

        public void Acked(string peer)
        {
            lock (this)
            {
                if (_waitingFor is not null && _waitingFor.Remove(peer) && _waitingFor.Count == 0)
                {
                    Done.TrySetResult();
                }
            }
        }

        public string Missing()
        {
            lock (this)
            {
                return _waitingFor is null ? "its own notification" : string.Join(", ", _waitingFor);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "Listening for other replicas' changes failed; caches are dropped and listening resumes shortly")]
        public static partial void ListenerFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "A change could not be published to the other replicas; their caches catch up within seconds")]
        public static partial void PublishFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "A change was not confirmed within {Timeout} (waiting for: {Missing}); answering anyway, as no replica can still serve what it changed from a cache")]
        public static partial void AcksLate(ILogger logger, TimeSpan timeout, string missing);
    }
}
