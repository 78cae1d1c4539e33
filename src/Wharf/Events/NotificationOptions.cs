namespace Wharf.Events;

/// <summary>Webhooks, as distribution's <c>notifications</c> section: every endpoint gets an
/// envelope of the events it does not ignore.</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    public List<NotificationEndpoint> Endpoints { get; set; } = [];

    public IEnumerable<string> Validate()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Endpoints.Count; i++)
        {
            var endpoint = Endpoints[i];
            var label = $"Notifications:Endpoints:{i}";
            if (string.IsNullOrWhiteSpace(endpoint.Name))
            {
                yield return $"{label}:Name is required (it names the endpoint's queue in the outbox)";
            }
            else if (!names.Add(endpoint.Name))
            {
                yield return $"{label}:Name '{endpoint.Name}' is used by another endpoint";
            }
            if (!Uri.TryCreate(endpoint.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                yield return $"{label}:Url must be an absolute http or https URL";
            }
            if (endpoint.Timeout <= TimeSpan.Zero)
            {
                yield return $"{label}:Timeout must be positive";
            }
            if (endpoint.Threshold < 1)
            {
                yield return $"{label}:Threshold must be at least 1";
            }
            if (endpoint.Backoff <= TimeSpan.Zero)
            {
                yield return $"{label}:Backoff must be positive";
            }
            foreach (var action in endpoint.Ignore.Actions.Where(a => !EventActions.IsKnown(a)))
            {
                yield return $"{label}:Ignore:Actions: '{action}' is not an action (push, pull, mount, delete)";
            }
            // Sent with every delivery: refused here, at start, rather than silently dropped (a bad
            // name) or failing every attempt (a line break) in the dispatcher's HTTP client.
            foreach (var problem in Server.HeaderRules.Problems($"{label}:Headers", endpoint.Headers))
            {
                yield return problem;
            }
        }
    }
}

/// <summary>One webhook receiver.</summary>
public sealed class NotificationEndpoint
{
    /// <summary>Names the endpoint's queue in the outbox: keep it when the URL changes, and
    /// undelivered events follow.</summary>
    public string Name { get; set; } = "";

    public string Url { get; set; } = "";

    /// <summary>Sent with every request, e.g. <c>Authorization: [Bearer ...]</c>; a header may have several values.</summary>
    public Dictionary<string, List<string>> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long one delivery may take before it counts as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many attempts at a batch follow each other at once; after that, every retry waits <see cref="Backoff"/>.</summary>
    public int Threshold { get; set; } = 3;

    /// <summary>The wait between attempts once <see cref="Threshold"/> attempts have failed; events wait in the outbox meanwhile, however long.</summary>
    public TimeSpan Backoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Pull events are many; an endpoint hears them only when it asks.</summary>
    public bool IncludePulls { get; set; }

    /// <summary>Neither queued nor delivered; what is already queued waits for the endpoint to be enabled.</summary>
    public bool Disabled { get; set; }

    /// <summary>Distribution's older spelling of <c>Ignore:MediaTypes</c>; both apply.</summary>
    public List<string> IgnoredMediaTypes { get; set; } = [];

    public NotificationIgnore Ignore { get; set; } = new();

    public bool Wants(RegistryEvent registryEvent)
    {
        if (Disabled || (registryEvent.Action == EventActions.Pull && !IncludePulls))
        {
            return false;
        }
        if (Ignore.Actions.Contains(registryEvent.Action, StringComparer.Ordinal))
        {
            return false;
        }
        return registryEvent.MediaType is not { } mediaType
            || !(IgnoredMediaTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase) || Ignore.MediaTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase));
    }
}

public sealed class NotificationIgnore
{
    public List<string> MediaTypes { get; set; } = [];

    public List<string> Actions { get; set; } = [];
}
