namespace Wharf.Configuration;

/// <summary>Settings Wharf starts with when nothing else says otherwise.</summary>
public static class WharfDefaults
{
    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>
    {
        // A per-request info line from ASP.NET costs time on every pull; warnings and errors still show.
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
    };
}
