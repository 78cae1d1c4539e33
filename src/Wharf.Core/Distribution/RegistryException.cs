namespace Wharf.Distribution;

/// <summary>
/// The one error type of the registry: thrown anywhere a request cannot be served, turned into
/// the spec's JSON error body and status in exactly one place (the HTTP error writer).
/// </summary>
public sealed class RegistryException : Exception
{
    public RegistryException(ErrorCode code, string? detail = null, int? status = null)
        : base(detail ?? code.Describe().Message)
    {
        Code = code;
        Detail = detail;
        Status = status ?? code.Describe().Status;
    }

    public ErrorCode Code { get; }

    /// <summary>A human-readable explanation specific to this failure; never internals.</summary>
    public string? Detail { get; }

    /// <summary>The HTTP status; the code's own unless the spec asks for another in this case.</summary>
    public int Status { get; }

    /// <summary>The error body's <c>message</c>, when this failure has a more useful one than its
    /// code's standard text: clients such as skopeo print the message and not the detail.</summary>
    public string? ClientMessage { get; init; }

    /// <summary>Extra response headers the spec asks for with this error (for example the
    /// current <c>Range</c> of an upload answered with 416).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}
