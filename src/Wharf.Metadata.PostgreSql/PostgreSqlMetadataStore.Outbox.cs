using Npgsql;
using NpgsqlTypes;

namespace Wharf.Metadata.PostgreSql;

public sealed partial class PostgreSqlMetadataStore
{
    // Due times are judged by the database's clock, which every replica shares. A claim locks the
    // rows it picks with FOR UPDATE SKIP LOCKED, so replicas claiming at once take disjoint sets
    // without waiting on each other, and moves their due time past the claim.

    public async Task EnqueueEventsAsync(IReadOnlyCollection<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return;
        }
        // One statement; WITH ORDINALITY keeps the given order in the sequence numbers.
        await using var command = Command("""
            INSERT INTO event_outbox (destination, payload)
            SELECT d, p FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS e(d, p, n) ORDER BY n
            """, Value(entries.Select(e => e.Destination).ToArray()), Value(entries.Select(e => e.Payload).ToArray()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<OutboxEvent>> ClaimEventsAsync(string destination, int limit, TimeSpan claimFor, CancellationToken cancellationToken)
    {
        await using var command = Command("""
            UPDATE event_outbox SET next_attempt_at = clock_timestamp() + $3, attempts = attempts + 1
            WHERE sequence IN (
                SELECT sequence FROM event_outbox
                WHERE destination = $1 AND next_attempt_at <= clock_timestamp()
                ORDER BY sequence LIMIT $2
                FOR UPDATE SKIP LOCKED)
            RETURNING sequence, destination, payload, attempts
            """, Text(destination), Value((long)limit), Interval(claimFor));
        var claimed = new List<OutboxEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new OutboxEvent(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3)));
        }
        claimed.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return claimed;
    }

    public async Task CompleteEventsAsync(IReadOnlyCollection<long> sequences, CancellationToken cancellationToken)
    {
        if (sequences.Count == 0)
        {
            return;
        }
        await using var command = Command("DELETE FROM event_outbox WHERE sequence = ANY($1)", Value(sequences.ToArray()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RetryEventsAsync(IReadOnlyCollection<long> sequences, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (sequences.Count == 0)
        {
            return;
        }
        await using var command = Command("UPDATE event_outbox SET next_attempt_at = clock_timestamp() + $2 WHERE sequence = ANY($1)",
            Value(sequences.ToArray()), Interval(delay));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Interval(TimeSpan value) => new() { NpgsqlDbType = NpgsqlDbType.Interval, Value = value };
}
