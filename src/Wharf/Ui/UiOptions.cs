namespace Wharf.Ui;

/// <summary>The web UI (configuration section <c>Ui</c>).</summary>
public sealed class UiOptions
{
    public const string Section = "Ui";

    /// <summary>Serve the web UI at <c>/</c> and its JSON API under <c>/wharf/ui/</c>. Off, those
    /// paths answer 404 like any other path outside the registry API.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a web UI sign-in lasts before the password is asked again.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    public IEnumerable<string> Validate()
    {
        if (SessionLifetime <= TimeSpan.Zero)
        {
            yield return "Ui:SessionLifetime must be positive";
        }
    }
}
