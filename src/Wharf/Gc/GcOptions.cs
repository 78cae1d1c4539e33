using Wharf.Gc;

namespace Wharf.Configuration;

/// <summary>Online garbage collection (section <c>Gc</c>).</summary>
public sealed class GcOptions
{
    public const string Section = "Gc";

    /// <summary>Whether this server reviews due candidates. Events are queued either way, so a
    /// replica with GC off (or <c>wharf gc</c> run later) can still collect what they recorded.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long after the event that queued it a candidate is reviewed, and how long a
    /// blob uploaded or mounted but not yet referenced by any manifest is kept.</summary>
    public TimeSpan ReviewDelay { get; set; } = GcRules.DefaultReviewDelay;

    /// <summary>Collect manifests no tag keeps (and that no kept index lists or subject keeps), as
    /// distribution's <c>--delete-untagged</c>. Off by default: images pulled by digest only are
    /// kept.</summary>
    public bool DeleteUntagged { get; set; }

    /// <summary>How often the server looks for due candidates.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Every how long the server also sweeps (walks the blob store for files the metadata
    /// does not know, and queues everything the metadata holds unused); unset: never, leave it to
    /// <c>wharf gc</c>. One replica sweeps at a time.</summary>
    public TimeSpan? Sweep { get; set; }

    public IEnumerable<string> Validate()
    {
        if (ReviewDelay < TimeSpan.Zero)
        {
            yield return "Gc:ReviewDelay must not be negative";
        }
        if (Interval < TimeSpan.FromMilliseconds(100))
        {
            yield return "Gc:Interval must be at least 100 ms";
        }
        if (Sweep is { } sweep && sweep < TimeSpan.FromMinutes(1))
        {
            yield return "Gc:Sweep must be at least one minute (or unset)";
        }
    }
}
