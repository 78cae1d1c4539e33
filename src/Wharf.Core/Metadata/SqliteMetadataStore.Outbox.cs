namespace Wharf.Metadata;

public sealed partial class SqliteMetadataStore
{
    // One process writes an SQLite store, under the write lock, so a claim is a plain UPDATE:
    // nothing else can claim between its read and its write.

    public Task EnqueueEventsAsync(IReadOnlyCollection<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return Task.CompletedTask;
        }
        return WriteAsync((connection, transaction) =>
        {
            var now = Now();
            using var command = Command(connection, transaction,
                "INSERT INTO event_outbox (destination, payload, created_at, next_attempt_at) VALUES ($destination, $payload, $now, $now)",
                ("$destination", ""), ("$payload", ""), ("$now", now));
            foreach (var entry in entries)
            {
                command.Parameters["$destination"].Value = entry.Destination;
                command.Parameters["$payload"].Value = entry.Payload;
                command.ExecuteNonQuery();
            }
            return 0;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<OutboxEvent>> ClaimEventsAsync(string destination, int limit, TimeSpan claimFor, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<OutboxEvent>>((connection, transaction) =>
        {
            var now = Now();
            using var command = Command(connection, transaction, """
                UPDATE event_outbox SET next_attempt_at = $until, attempts = attempts + 1
                WHERE sequence IN (
                    SELECT sequence FROM event_outbox
                    WHERE destination = $destination AND next_attempt_at <= $now
                    ORDER BY sequence LIMIT $limit)
                RETURNING sequence, destination, payload, attempts
                """, ("$until", now + (long)claimFor.TotalMilliseconds), ("$destination", destination), ("$now", now), ("$limit", limit));
            var claimed = new List<OutboxEvent>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                claimed.Add(new OutboxEvent(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3)));
            }
            // RETURNING gives rows in no promised order.
            claimed.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
            return claimed;
        }, cancellationToken);

    public Task CompleteEventsAsync(IReadOnlyCollection<long> sequences, CancellationToken cancellationToken) =>
        UpdateEventsAsync("DELETE FROM event_outbox WHERE sequence = $sequence", sequences, null, cancellationToken);

    public Task RetryEventsAsync(IReadOnlyCollection<long> sequences, TimeSpan delay, CancellationToken cancellationToken) =>
        UpdateEventsAsync("UPDATE event_outbox SET next_attempt_at = $at WHERE sequence = $sequence", sequences, delay, cancellationToken);

    private Task UpdateEventsAsync(string sql, IReadOnlyCollection<long> sequences, TimeSpan? delay, CancellationToken cancellationToken)
    {
        if (sequences.Count == 0)
        {
            return Task.CompletedTask;
        }
        return WriteAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction, sql, ("$sequence", 0L),
                ("$at", delay is { } d ? Now() + (long)d.TotalMilliseconds : null));
            foreach (var sequence in sequences)
            {
                command.Parameters["$sequence"].Value = sequence;
                command.ExecuteNonQuery();
            }
            return 0;
        }, cancellationToken);
    }
}
