using Microsoft.Extensions.Options;

namespace Wharf.Server;

/// <summary>HTTP settings (configuration section <c>Http</c>).</summary>
public sealed class HttpOptions
{
    public const string Section = "Http";

    /// <summary>Headers added to every response, by name, each with its values (distribution's
    /// <c>http.headers</c>, e.g. <c>X-Content-Type-Options: [nosniff]</c>).</summary>
    public Dictionary<string, List<string>> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public IEnumerable<string> Validate() => HeaderRules.Problems("Http:Headers", Headers);
}

/// <summary>Adds the configured <see cref="HttpOptions.Headers"/> to every response.</summary>
internal static class ResponseHeaders
{
    public static IApplicationBuilder UseResponseHeaders(this IApplicationBuilder app)
    {
        var headers = app.ApplicationServices.GetRequiredService<IOptions<HttpOptions>>().Value.Headers
            .Where(h => h.Value.Count > 0)
            .Select(h => (Name: h.Key, Values: new Microsoft.Extensions.Primitives.StringValues([.. h.Value])))
            .ToArray();
        if (headers.Length == 0)
        {
            return app;
        }
        return app.Use((context, next) =>
        {
            // Added as the response starts, so an error answer (whose writer clears the headers)
            // carries them too; a header the endpoint set itself is left as it is, as distribution
            // leaves it.
            var response = context.Response;
            response.OnStarting(() =>
            {
                foreach (var (name, values) in headers)
                {
                    if (!response.Headers.ContainsKey(name))
                    {
                        response.Headers[name] = values;
                    }
                }
                return Task.CompletedTask;
            });
            return next(context);
        });
    }
}
