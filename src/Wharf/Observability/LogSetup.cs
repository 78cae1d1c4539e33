namespace Wharf.Observability;

/// <summary>
/// The log goes to standard output, one entry per line: <c>Logging:Format: text</c> (the default)
/// as readable lines with a UTC timestamp, <c>json</c> as one JSON object per line with every
/// field of the message (what log collectors such as Loki, Elasticsearch or Cloud Logging parse).
/// </summary>
internal static class LogSetup
{
    private const string Timestamp = "yyyy-MM-ddTHH:mm:ss.fffZ ";

    public static void UseWharfLogFormat(this ILoggingBuilder logging, IConfiguration configuration)
    {
        var format = configuration[LogFormat.Key] ?? LogFormat.Text;
        logging.ClearProviders();
        if (string.Equals(format, LogFormat.Json, StringComparison.OrdinalIgnoreCase))
        {
            logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = Timestamp.TrimEnd();
            });
        }
        else
        {
            logging.AddSimpleConsole(text =>
            {
                text.SingleLine = true;
                text.UseUtcTimestamp = true;
                text.TimestampFormat = Timestamp;
            });
        }
    }

    /// <summary>A problem with <c>Logging:Format</c>, or null.</summary>
    public static string? Problem(IConfiguration? configuration) =>
        configuration?[LogFormat.Key] is { } format && !string.Equals(format, LogFormat.Json, StringComparison.OrdinalIgnoreCase) && !string.Equals(format, LogFormat.Text, StringComparison.OrdinalIgnoreCase)
            ? $"Logging:Format: '{format}' is neither text nor json"
            : null;
}
