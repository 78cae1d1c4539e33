namespace Wharf.Import;

/// <summary>The directory given to an import holds no CNCF distribution data: the one fatal case,
/// since there is then nothing to adopt and writing a database there would be a mistake.</summary>
public sealed class NotADistributionLayoutException : Exception
{
    public NotADistributionLayoutException()
    {
    }

    public NotADistributionLayoutException(string message)
        : base(message)
    {
    }

    public NotADistributionLayoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
