using System.Globalization;
using System.Text;

namespace Wharf.Diagnostics;

/// <summary>
/// Wharf's metrics, written in the Prometheus text format (version 0.0.4) by <see cref="WriteTo"/>.
/// Any component registers its instruments here once (a family per metric name, a child per label
/// set) and keeps the children it updates: an update is one interlocked add, with no allocation and
/// no lookup, which is what a hot path such as a manifest GET can afford. One instance per server
/// (a DI singleton), so that several servers in one process (the in-process tests) count apart.
/// </summary>
public sealed class WharfMetrics
{
    private readonly Lock _lock = new();
    private readonly List<MetricFamily> _families = [];

    /// <summary>A counter without labels (name ends in <c>_total</c>).</summary>
    public MetricCounter Counter(string name, string help) => CounterFamily(name, help).Child();

    /// <summary>A gauge without labels, set or moved by its owner.</summary>
    public MetricGauge Gauge(string name, string help) => GaugeFamily(name, help).GaugeChild();

    /// <summary>A histogram without labels, in seconds or bytes as its name says.</summary>
    public MetricHistogram Histogram(string name, string help, double[]? bounds = null) => HistogramFamily(name, help, bounds).HistogramChild();

    /// <summary>A gauge read when scraped, for values known elsewhere (free space, sizes).</summary>
    public void ObservedGauge(string name, string help, Func<double> read) =>
        Register(new MetricFamily(name, help, "gauge", [], null, read));

    public MetricFamily CounterFamily(string name, string help, params string[] labelNames) =>
        Register(new MetricFamily(name, help, "counter", labelNames, null, null));

    public MetricFamily GaugeFamily(string name, string help, params string[] labelNames) =>
        Register(new MetricFamily(name, help, "gauge", labelNames, null, null));

    public MetricFamily HistogramFamily(string name, string help, double[]? bounds, params string[] labelNames) =>
        Register(new MetricFamily(name, help, "histogram", labelNames, bounds ?? MetricHistogram.LatencyBounds, null));

    private MetricFamily Register(MetricFamily family)
    {
        lock (_lock)
        {
            // Registering a name twice gives the first family back: components may ask again.
            foreach (var existing in _families)
            {
                if (existing.Name == family.Name)
                {
                    return existing.Type == family.Type
                        ? existing
                        : throw new InvalidOperationException($"metric {family.Name} is already a {existing.Type}");
                }
            }
            _families.Add(family);
            return family;
        }
    }

    /// <summary>Writes every metric in the Prometheus text exposition format.</summary>
    public void WriteTo(StringBuilder text)
    {
        MetricFamily[] families;
        lock (_lock)
        {
            families = [.. _families];
        }
        foreach (var family in families)
        {
            family.WriteTo(text);
        }
    }

    public string Scrape()
    {
        var text = new StringBuilder(8192);
        WriteTo(text);
        return text.ToString();
    }
}

/// <summary>One metric name with its help, type and label names; its children are the label sets.</summary>
public sealed class MetricFamily
{
    private readonly Lock _lock = new();
    private readonly List<(string[] Labels, object Child)> _children = [];
    private readonly double[]? _bounds;
    private readonly Func<double>? _read;

    internal MetricFamily(string name, string help, string type, string[] labelNames, double[]? bounds, Func<double>? read)
    {
        Name = name;
        Help = help;
        Type = type;
        LabelNames = labelNames;
        _bounds = bounds;
        _read = read;
    }

    public string Name { get; }
    public string Help { get; }
    public string Type { get; }
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>The counter of one label set (created on first use; keep it and update it).</summary>
    public MetricCounter Child(params string[] labelValues) => (MetricCounter)GetOrAdd(labelValues, "counter");

    /// <summary>The gauge of one label set.</summary>
    public MetricGauge GaugeChild(params string[] labelValues) => (MetricGauge)GetOrAdd(labelValues, "gauge");

    /// <summary>The histogram of one label set.</summary>
    public MetricHistogram HistogramChild(params string[] labelValues) => (MetricHistogram)GetOrAdd(labelValues, "histogram");

    private object GetOrAdd(string[] labelValues, string type)
    {
        if (type != Type)
        {
            throw new InvalidOperationException($"metric {Name} is a {Type}, not a {type}");
        }
        if (labelValues.Length != LabelNames.Count)
        {
            throw new ArgumentException($"metric {Name} has {LabelNames.Count} labels, not {labelValues.Length}");
        }
        lock (_lock)
        {
            foreach (var (labels, child) in _children)
            {
                if (labels.AsSpan().SequenceEqual(labelValues))
                {
                    return child;
                }
            }
            object created = Type switch
            {
                "gauge" => new MetricGauge(),
                "histogram" => new MetricHistogram(_bounds!),
                _ => new MetricCounter(),
            };
            _children.Add((labelValues, created));
            return created;
        }
    }

    internal void WriteTo(StringBuilder text)
    {
        text.Append("# HELP ").Append(Name).Append(' ').Append(Help.Replace("\\", "\\\\").Replace("\n", "\\n")).Append('\n');
        text.Append("# TYPE ").Append(Name).Append(' ').Append(Type).Append('\n');
        if (_read is not null)
        {
            text.Append(Name).Append(' ');
            AppendValue(text, _read());
            text.Append('\n');
            return;
        }
        (string[] Labels, object Child)[] children;
        lock (_lock)
        {
            children = [.. _children];
        }
        foreach (var (labels, child) in children)
        {
            switch (child)
            {
                case MetricCounter counter:
                    AppendSample(text, Name, labels, null, null);
                    text.Append(counter.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
                    break;
                case MetricGauge gauge:
                    AppendSample(text, Name, labels, null, null);
                    text.Append(gauge.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
                    break;
                case MetricHistogram histogram:
                    histogram.WriteTo(text, Name, labels, this);
                    break;
            }
        }
    }

    internal void AppendSample(StringBuilder text, string name, string[] labels, string? extraName, string? extraValue)
    {
        text.Append(name);
        if (labels.Length > 0 || extraName is not null)
        {
            text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0)
                {
                    text.Append(',');
                }
                text.Append(LabelNames[i]).Append("=\"");
                AppendEscaped(text, labels[i]);
                text.Append('"');
            }
            if (extraName is not null)
            {
                if (labels.Length > 0)
                {
                    text.Append(',');
                }
                text.Append(extraName).Append("=\"").Append(extraValue).Append('"');
            }
            text.Append('}');
        }
        text.Append(' ');
    }

    private static void AppendEscaped(StringBuilder text, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append("\\\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append("\\n"),
                _ => text.Append(c),
            };
        }
    }

    internal static void AppendValue(StringBuilder text, double value) =>
        text.Append(double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", CultureInfo.InvariantCulture));
}

/// <summary>A monotonically increasing count.</summary>
public sealed class MetricCounter
{
    private long _value;

    public long Value => Volatile.Read(ref _value);

    public void Increment() => Interlocked.Increment(ref _value);

    public void Add(long amount) => Interlocked.Add(ref _value, amount);
}

/// <summary>A value that goes up and down (things in flight).</summary>
public sealed class MetricGauge
{
    private long _value;

    public long Value => Volatile.Read(ref _value);

    public void Increment() => Interlocked.Increment(ref _value);

    public void Decrement() => Interlocked.Decrement(ref _value);

    public void Set(long value) => Volatile.Write(ref _value, value);
}

/// <summary>
/// Counts of observations per bucket (upper bounds), plus their sum. Buckets are kept apart and
/// made cumulative only when written, so an observation is two interlocked adds.
/// </summary>
public sealed class MetricHistogram
{
    /// <summary>Request and store latencies: half a millisecond to five minutes.</summary>
    public static readonly double[] LatencyBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    private readonly double[] _bounds;
    private readonly long[] _counts;
    // The sum in millionths, so that it can be added atomically as an integer.
    private long _sumMicros;

    internal MetricHistogram(double[] bounds)
    {
        _bounds = bounds;
        _counts = new long[bounds.Length + 1];
    }

    public long Count
    {
        get
        {
            long count = 0;
            for (var i = 0; i < _counts.Length; i++)
            {
                count += Volatile.Read(ref _counts[i]);
            }
            return count;
        }
    }

    public void Observe(double value)
    {
        var i = 0;
        while (i < _bounds.Length && value > _bounds[i])
        {
            i++;
        }
        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sumMicros, (long)(value * 1_000_000));
    }

    internal void WriteTo(StringBuilder text, string name, string[] labels, MetricFamily family)
    {
        long cumulative = 0;
        for (var i = 0; i <= _bounds.Length; i++)
        {
            cumulative += Volatile.Read(ref _counts[i]);
            family.AppendSample(text, name + "_bucket", labels, "le",
                i < _bounds.Length ? _bounds[i].ToString("R", CultureInfo.InvariantCulture) : "+Inf");
            text.Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        family.AppendSample(text, name + "_sum", labels, null, null);
        MetricFamily.AppendValue(text, Volatile.Read(ref _sumMicros) / 1_000_000.0);
        text.Append('\n');
        family.AppendSample(text, name + "_count", labels, null, null);
        text.Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
