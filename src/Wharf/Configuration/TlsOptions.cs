namespace Wharf.Configuration;

/// <summary>HTTPS (configuration section <c>Tls</c>): a PEM certificate (chain) and its key. With
/// both set, every <c>https://</c> address in <c>urls</c> serves HTTP/1.1 and HTTP/2 with them.</summary>
public sealed class TlsOptions
{
    public const string Section = "Tls";

    public string? Certificate { get; set; }

    public string? Key { get; set; }

    public bool Enabled => Certificate is not null;

    public IEnumerable<string> Validate()
    {
        if (Certificate is null != Key is null)
        {
            yield return "Tls:Certificate and Tls:Key must be given together";
        }
        foreach (var file in new[] { Certificate, Key })
        {
            if (file is not null && !File.Exists(file))
            {
                yield return $"Tls: {file} does not exist";
            }
        }
    }
}
