using System.Reflection;
using Microsoft.Data.Sqlite;
using Wharf.Distribution;
using Wharf.Import;
using Wharf.Metadata;

namespace Wharf.Tests.Import;

/// <summary>Records what an import reports while it runs, and can stop it at a chosen point.</summary>
public sealed class RecordingProgress : IImportProgress
{
    public List<ImportWarning> Warnings { get; } = [];
    public List<string> Events { get; } = [];

    /// <summary>Called on every event, with its text; may cancel the import.</summary>
    public Action<string>? OnEvent { get; init; }

    public void RepositoriesFound(int total) => Record($"found {total}");

    public void Working(RepositoryName repository, string what, int done, int total) => Record($"working {repository} {what} {done}/{total}");

    public void Warning(ImportWarning warning)
    {
        Warnings.Add(warning);
        Record($"warning {warning}");
    }

    public void RepositoryFinished(int index, int total, RepositoryImportResult result) => Record($"finished {index}/{total} {result.Repository}");

    private void Record(string text)
    {
        Events.Add(text);
        OnEvent?.Invoke(text);
    }
}

/// <summary>A clock that moves a second on every reading, so that any rewrite of a row shows in
/// its timestamps.</summary>
public sealed class SteppingTime : TimeProvider
{
    private DateTimeOffset _now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now = _now.AddSeconds(1);
}

/// <summary>Wraps a metadata store and records the digests of manifests written, in order.</summary>
public class RecordingMetadataStore : DispatchProxy
{
    private IMetadataStore _inner = null!;

    public List<Digest> ManifestsPut { get; } = [];

    public static (IMetadataStore Store, RecordingMetadataStore Recorder) Wrap(IMetadataStore inner)
    {
        var store = Create<IMetadataStore, RecordingMetadataStore>();
        var recorder = (RecordingMetadataStore)(object)store;
        recorder._inner = inner;
        return (store, recorder);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IMetadataStore.PutManifestAsync))
        {
            ManifestsPut.Add(((ManifestRecord)args![1]!).Digest);
        }
        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}

public static class MetadataDump
{
    /// <summary>Every row of every table of a Wharf database, as text: equal dumps, equal databases.</summary>
    public static string Of(string databaseFile)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databaseFile,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        connection.Open();
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }
        var dump = new List<string>();
        foreach (var table in tables)
        {
            using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            using var reader = select.ExecuteReader();
            var rows = new List<string>();
            while (reader.Read())
            {
                rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
            }
            rows.Sort(StringComparer.Ordinal);
            dump.Add($"{table}: {rows.Count} rows");
            dump.AddRange(rows);
        }
        return string.Join('\n', dump);
    }
}
