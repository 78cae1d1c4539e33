using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Wharf.Configuration;

/// <summary>
/// CNCF distribution's <c>config.yml</c> (registry:2) read as Wharf configuration, so a registry:2
/// deployment can switch to Wharf without rewriting its configuration. Every setting with a Wharf
/// meaning becomes the Wharf key that has it; every other one is named in a single warning, never
/// dropped silently; a setting Wharf cannot honour without serving something other than what the
/// file asks for (another storage driver, another sign-in scheme) is a problem that stops start-up.
/// </summary>
public static class DistributionConfiguration
{
    /// <summary>The key every distribution configuration starts with; Wharf's own files have none.</summary>
    public static bool IsDistributionFormat(YamlMappingNode root) =>
        Child(root, "version") is YamlScalarNode { Value: { } version } && version.Trim() == "0.1";

    /// <summary>Maps <paramref name="root"/>, after applying <c>REGISTRY_*</c> variables from
    /// <paramref name="environment"/> onto it (the tree is changed).</summary>
    public static ConfigurationFileContents Map(YamlMappingNode root, IReadOnlyDictionary<string, string> environment)
    {
        var mapper = new Mapper(root);
        DistributionEnvironment.Apply(root, environment, mapper.Origins);
        return mapper.Run();
    }

    /// <summary>A mapping's child by name, ignoring case as distribution's YAML decoding does.</summary>
    internal static YamlNode? Child(YamlMappingNode map, string name)
    {
        foreach (var (key, value) in map.Children)
        {
            if (key is YamlScalarNode { Value: { } text } && string.Equals(text, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }
        return null;
    }

    /// <summary>One mapping run: what was read (so the rest can be named), what was set, and what is wrong.</summary>
    private sealed class Mapper(YamlMappingNode root)
    {
        private readonly HashSet<YamlNode> _read = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<string, string?> _settings = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<string> _warnings = [];
        private readonly List<string> _problems = [];

        /// <summary>Nodes put in place by a REGISTRY_* variable, with its name.</summary>
        public Dictionary<YamlNode, string> Origins { get; } = new(ReferenceEqualityComparer.Instance);

        public ConfigurationFileContents Run()
        {
            // The format marker: it says how to read the file and carries no setting.
            Take("version");
            // distribution signs its upload state tokens with it; Wharf keeps upload state on the
            // server, so there is nothing for a secret to protect and nothing lost without it.
            Take("http", "secret");
            MapStorage();
            MapHttp();
            MapAuth();
            MapLog();
            MapNotifications();

            var ignored = new List<string>();
            foreach (var (key, value) in root.Children)
            {
                CollectUnread(value, Name(key), ignored);
            }
            if (ignored.Count > 0)
            {
                _warnings.Insert(0, "these distribution settings have no meaning in Wharf and are ignored: " + string.Join(", ", ignored));
            }
            return new ConfigurationFileContents(ConfigurationFileContents.DistributionFormat, _settings, _warnings, _problems);
        }

        private void MapStorage()
        {
            if (Node("storage") is not YamlMappingNode storage)
            {
                _problems.Add("storage: no storage driver is configured (storage.filesystem or storage.s3)");
                return;
            }
            var drivers = storage.Children.Keys.Select(Name)
                .Where(name => !DistributionEnvironment.StorageSettingsBesideDriver.Contains(name, StringComparer.OrdinalIgnoreCase))
                .ToList();
            var driver = drivers.Count == 1 ? drivers[0].ToLowerInvariant() : null;
            if (drivers.Count == 0)
            {
                _problems.Add("storage: no storage driver is configured (storage.filesystem or storage.s3)");
            }
            else if (drivers.Count > 1)
            {
                _problems.Add($"storage: one storage driver may be configured, not several ({string.Join(", ", drivers)})");
            }
            if (driver == "filesystem")
            {
                _settings["Storage:Provider"] = StorageOptions.FileSystemProvider;
                // distribution's default when rootdirectory is not given: the same data, the same place.
                _settings["Storage:Root"] = Text("storage", "filesystem", "rootdirectory") ?? "/var/lib/registry";
            }
            else if (driver == "s3")
            {
                MapS3();
            }
            else if (driver is not null)
            {
                Take("storage", driver);
                _problems.Add($"storage.{driver}: Wharf keeps blobs in a directory (storage.filesystem) or an S3 bucket (storage.s3) only");
            }

            // distribution refuses deletes unless they are switched on; Wharf allows them by default.
            // A drop-in keeps distribution's answer.
            _settings["Storage:Delete:Enabled"] = Bool("storage", "delete", "enabled") is true ? "true" : "false";
            if (Bool("storage", "maintenance", "readonly", "enabled") is { } readOnly)
            {
                _settings["Storage:ReadOnly"] = readOnly ? "true" : "false";
            }
            MapUploadPurging();
        }

        private void MapS3()
        {
            _settings["Storage:Provider"] = StorageOptions.S3Provider;
            CopyText(["storage", "s3", "bucket"], "Storage:S3:Bucket");
            CopyText(["storage", "s3", "region"], "Storage:S3:Region");
            CopyText(["storage", "s3", "accesskey"], "Storage:S3:AccessKey");
            CopyText(["storage", "s3", "secretkey"], "Storage:S3:SecretKey");
            CopyText(["storage", "s3", "rootdirectory"], "Storage:S3:Prefix");
            if (Bool("storage", "s3", "forcepathstyle") is { } pathStyle)
            {
                _settings["Storage:S3:ForcePathStyle"] = pathStyle ? "true" : "false";
            }
            var secure = Bool("storage", "s3", "secure") ?? true;
            if (Text("storage", "s3", "regionendpoint") is { Length: > 0 } endpoint)
            {
                // distribution accepts a bare host and picks the scheme from `secure`; Wharf wants a URL.
                _settings["Storage:S3:Endpoint"] = endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : (secure ? "https://" : "http://") + endpoint;
            }
            // distribution's S3 driver answers blob GETs with a redirect to the bucket unless told
            // not to; Wharf does the same when Storage:S3:Redirect is on, so clients that could reach
            // the bucket before keep doing so.
            _settings["Storage:S3:Redirect"] = Bool("storage", "redirect", "disable") is true ? "false" : "true";
            if (!_settings.ContainsKey("Storage:Root"))
            {
                _warnings.Add("with storage.s3, Wharf keeps its metadata (SQLite) in the directory Storage:Root names (default ./data); set WHARF_Storage__Root, or Metadata:Provider postgres");
            }
        }

        private void MapUploadPurging()
        {
            string[] purging = ["storage", "maintenance", "uploadpurging"];
            if (Bool([.. purging, "enabled"]) is false)
            {
                _warnings.Add($"storage.maintenance.uploadpurging.enabled is false, but Wharf always discards upload sessions older than Limits:UploadSessionMaxAge ({GoDuration.ToConfigurationValue(new LimitOptions().UploadSessionMaxAge)} unless uploadpurging.age says otherwise)");
            }
            if (Bool([.. purging, "dryrun"]) is true)
            {
                _warnings.Add("storage.maintenance.uploadpurging.dryrun is true, but Wharf has no dry run for upload purging: old upload sessions are discarded");
            }
            if (Duration([.. purging, "age"]) is { } age)
            {
                _settings["Limits:UploadSessionMaxAge"] = GoDuration.ToConfigurationValue(age);
            }
            // uploadpurging.interval is left unread: Wharf checks every tenth of the age (at least
            // every minute), so the setting is named among the ignored ones.
        }

        private void MapHttp()
        {
            var tlsCertificate = Text("http", "tls", "certificate");
            CopyText(["http", "tls", "key"], "Tls:Key");
            if (tlsCertificate is not null)
            {
                _settings["Tls:Certificate"] = tlsCertificate;
            }
            var network = Text("http", "net") ?? "tcp";
            if (Text("http", "addr") is { Length: > 0 } address)
            {
                var scheme = tlsCertificate is null ? "http" : "https";
                if (network == "unix")
                {
                    // Kestrel listens on a Unix socket given as http://unix:/path.
                    _settings["urls"] = $"{scheme}://unix:{address}";
                }
                else if (network != "tcp")
                {
                    _problems.Add($"http.net: '{network}' is not a network Wharf listens on (tcp or unix)");
                }
                else if (ListenUrl(address, scheme) is { } url)
                {
                    _settings["urls"] = url;
                }
                else
                {
                    _problems.Add($"http.addr: '{address}' is not a [host]:port address");
                }
            }
            if (Node("http", "headers") is { } headers)
            {
                CopyHeaders(headers, ["http", "headers"], "Http:Headers");
            }
            if (Text("http", "debug", "addr") is { Length: > 0 } debug)
            {
                if (ListenUrl(debug, "http") is { } url)
                {
                    _settings["Metrics:Urls"] = url;
                }
                else
                {
                    _problems.Add($"http.debug.addr: '{debug}' is not a [host]:port address");
                }
            }
        }

        private void MapAuth()
        {
            if (Node("auth") is not YamlMappingNode auth || auth.Children.Count == 0)
            {
                return;
            }
            var providers = auth.Children.Keys.Select(k => Name(k).ToLowerInvariant()).ToList();
            if (providers.Count > 1)
            {
                _problems.Add($"auth: one authentication scheme may be configured, not several ({string.Join(", ", providers)})");
            }
            switch (providers[0])
            {
                case "htpasswd":
                    _settings["Auth:Mode"] = "Htpasswd";
                    CopyText(["auth", "htpasswd", "realm"], "Auth:Realm");
                    CopyText(["auth", "htpasswd", "path"], "Auth:Htpasswd");
                    break;
                case "token":
                    _settings["Auth:Mode"] = "Token";
                    // distribution only checks tokens an outside service issued.
                    _settings["Auth:Token:BuiltIn"] = "false";
                    CopyText(["auth", "token", "realm"], "Auth:Token:Realm");
                    CopyText(["auth", "token", "service"], "Auth:Token:Service");
                    CopyText(["auth", "token", "issuer"], "Auth:Token:Issuer");
                    CopyText(["auth", "token", "rootcertbundle"], "Auth:Token:Certificate");
                    CopyText(["auth", "token", "jwks"], "Auth:Token:Jwks");
                    break;
                default:
                    // Ignoring it would serve without the sign-in the file asks for.
                    Take("auth", providers[0]);
                    _problems.Add($"auth.{providers[0]}: Wharf signs clients in with htpasswd or token only; it will not start without the sign-in this file asks for");
                    break;
            }
        }

        private void MapLog()
        {
            // `loglevel` at the top is distribution's older spelling of log.level, still honoured there.
            var level = Text("log", "level") ?? Text("loglevel");
            if (level is not null)
            {
                if (LogLevelName(level) is { } name)
                {
                    _settings["Logging:LogLevel:Default"] = name;
                }
                else
                {
                    _problems.Add($"log.level: '{level}' is not a level (debug, info, warn, error)");
                }
            }
            switch (Text("log", "formatter")?.ToLowerInvariant())
            {
                case null:
                    break;
                case "text":
                    _settings["Logging:Format"] = "text";
                    break;
                case "json":
                    _settings["Logging:Format"] = "json";
                    break;
                case "logstash":
                    _settings["Logging:Format"] = "json";
                    _warnings.Add("log.formatter: logstash is written as json (Wharf has no logstash format)");
                    break;
                case var other:
                    _problems.Add($"log.formatter: '{other}' is not a format (text, json, logstash)");
                    break;
            }
        }

        private void MapNotifications()
        {
            if (Node("notifications", "endpoints") is not YamlSequenceNode endpoints)
            {
                return;
            }
            _read.Add(endpoints);
            for (var i = 0; i < endpoints.Children.Count; i++)
            {
                var index = i.ToString(CultureInfo.InvariantCulture);
                string[] at = ["notifications", "endpoints", index];
                var key = $"Notifications:Endpoints:{index}";
                if (endpoints.Children[i] is not YamlMappingNode)
                {
                    _problems.Add($"notifications.endpoints[{index}] must be a mapping (name, url, ...)");
                    continue;
                }
                CopyText([.. at, "name"], $"{key}:Name");
                CopyText([.. at, "url"], $"{key}:Url");
                if (Bool([.. at, "disabled"]) is { } disabled)
                {
                    _settings[$"{key}:Disabled"] = disabled ? "true" : "false";
                }
                // Parsed here, not copied: binding a word into the int would stop start-up with
                // a converter's exception instead of a problem naming the setting.
                if (Int([.. at, "threshold"]) is { } threshold)
                {
                    _settings[$"{key}:Threshold"] = threshold.ToString(CultureInfo.InvariantCulture);
                }
                if (Duration([.. at, "timeout"]) is { } timeout)
                {
                    _settings[$"{key}:Timeout"] = GoDuration.ToConfigurationValue(timeout);
                }
                if (Duration([.. at, "backoff"]) is { } backoff)
                {
                    _settings[$"{key}:Backoff"] = GoDuration.ToConfigurationValue(backoff);
                }
                if (Node([.. at, "headers"]) is { } headers)
                {
                    CopyHeaders(headers, [.. at, "headers"], $"{key}:Headers");
                }
                CopyList([.. at, "ignoredmediatypes"], $"{key}:IgnoredMediaTypes");
                CopyList([.. at, "ignore", "mediatypes"], $"{key}:Ignore:MediaTypes");
                CopyList([.. at, "ignore", "actions"], $"{key}:Ignore:Actions");
            }
        }

        /// <summary><c>host:port</c> as a URL Kestrel listens on: an empty host (<c>:5000</c>) is every
        /// IPv4 interface, and localhost is the IPv4 loopback, as Go binds them.</summary>
        internal static string? ListenUrl(string address, string scheme)
        {
            string host;
            string port;
            if (address.StartsWith('['))
            {
                var end = address.IndexOf("]:", StringComparison.Ordinal);
                if (end < 0)
                {
                    return null;
                }
                host = address[..(end + 1)];
                port = address[(end + 2)..];
            }
            else
            {
                var colon = address.LastIndexOf(':');
                if (colon < 0 || address.IndexOf(':') != colon)
                {
                    return null;
                }
                host = address[..colon];
                port = address[(colon + 1)..];
            }
            if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                return null;
            }
            host = host switch
            {
                "" => "0.0.0.0",
                _ when host.Equals("localhost", StringComparison.OrdinalIgnoreCase) => "127.0.0.1",
                _ => host,
            };
            return $"{scheme}://{host}:{port}";
        }

        private static string? LogLevelName(string level) => level.Trim().ToLowerInvariant() switch
        {
            "trace" => "Trace",
            "debug" => "Debug",
            "info" => "Information",
            "warn" or "warning" => "Warning",
            "error" => "Error",
            "fatal" or "panic" => "Critical",
            _ => null,
        };

        // header: [values] (a single value is taken as a list of one).
        private void CopyHeaders(YamlNode headers, string[] path, string key)
        {
            if (headers is not YamlMappingNode map)
            {
                _read.Add(headers);
                _problems.Add($"{Dotted(path)} must map header names to lists of values");
                return;
            }
            foreach (var (name, _) in map.Children)
            {
                CopyList([.. path, Name(name)], $"{key}:{Name(name)}");
            }
        }

        private void CopyList(string[] path, string key)
        {
            switch (Node(path))
            {
                case null:
                    return;
                case YamlScalarNode scalar:
                    _read.Add(scalar);
                    _settings[$"{key}:0"] = scalar.Value;
                    return;
                case YamlSequenceNode list:
                    _read.Add(list);
                    for (var j = 0; j < list.Children.Count; j++)
                    {
                        if (list.Children[j] is YamlScalarNode item)
                        {
                            _settings[$"{key}:{j.ToString(CultureInfo.InvariantCulture)}"] = item.Value;
                        }
                        else
                        {
                            _problems.Add($"{Dotted(path)}[{j}] must be a single value");
                        }
                    }
                    return;
                case var other:
                    _read.Add(other);
                    _problems.Add($"{Dotted(path)} must be a list of values");
                    return;
            }
        }

        private void CopyText(string[] path, string key)
        {
            if (Text(path) is { } value)
            {
                _settings[key] = value;
            }
        }

        /// <summary>The node at <paramref name="path"/> (names, or list indexes), unread.</summary>
        private YamlNode? Node(params string[] path)
        {
            YamlNode? node = root;
            foreach (var name in path)
            {
                node = node switch
                {
                    YamlMappingNode map => Child(map, name),
                    YamlSequenceNode list when int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < list.Children.Count => list.Children[i],
                    _ => null,
                };
                if (node is null)
                {
                    return null;
                }
            }
            return node;
        }

        /// <summary>A single value, marked as read; null when absent or written as null.</summary>
        private string? Text(params string[] path)
        {
            var node = Node(path);
            if (node is null)
            {
                return null;
            }
            _read.Add(node);
            if (node is not YamlScalarNode scalar)
            {
                _problems.Add($"{Dotted(path)} must be a single value");
                return null;
            }
            return scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is "~" or "null" or "Null" or "NULL" or "" ? null : scalar.Value;
        }

        // Go's YAML decoder takes these spellings of a boolean.
        private bool? Bool(params string[] path) => Text(path)?.ToLowerInvariant() switch
        {
            null => null,
            "true" or "yes" or "on" or "y" => true,
            "false" or "no" or "off" or "n" => false,
            var other => Problem<bool?>($"{Dotted(path)}: '{other}' is not true or false"),
        };

        private int? Int(params string[] path) => Text(path) switch
        {
            null => null,
            var text when int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) => number,
            var text => Problem<int?>($"{Dotted(path)}: '{text}' is not a whole number"),
        };

        private TimeSpan? Duration(params string[] path) => Text(path) switch
        {
            null => null,
            var text when GoDuration.TryParse(text, out var duration) => duration,
            var text => Problem<TimeSpan?>($"{Dotted(path)}: '{text}' is not a duration (such as 168h, 10m, 30s)"),
        };

        private T Problem<T>(string problem)
        {
            _problems.Add(problem);
            return default!;
        }

        /// <summary>Marks a setting as read without mapping it (it carries nothing Wharf needs).</summary>
        private void Take(params string[] path)
        {
            if (Node(path) is { } node)
            {
                TakeWhole(node);
            }
        }

        private void TakeWhole(YamlNode node)
        {
            _read.Add(node);
            foreach (var child in node.AllNodes)
            {
                _read.Add(child);
            }
        }

        /// <summary>Names every setting nobody read: a whole subtree by its top when none of it
        /// was read (<c>health</c>), else each unread part of it.</summary>
        private void CollectUnread(YamlNode node, string path, List<string> into)
        {
            if (_read.Contains(node))
            {
                if (node is YamlSequenceNode readList)
                {
                    for (var i = 0; i < readList.Children.Count; i++)
                    {
                        if (readList.Children[i] is YamlMappingNode)
                        {
                            CollectUnread(readList.Children[i], $"{path}[{i}]", into);
                        }
                    }
                }
                return;
            }
            if (node is YamlMappingNode map && AnyRead(map))
            {
                foreach (var (key, value) in map.Children)
                {
                    CollectUnread(value, $"{path}.{Name(key)}", into);
                }
                return;
            }
            if (node is YamlSequenceNode list && AnyRead(list))
            {
                for (var i = 0; i < list.Children.Count; i++)
                {
                    CollectUnread(list.Children[i], $"{path}[{i}]", into);
                }
                return;
            }
            into.Add(Origins.TryGetValue(node, out var variable) ? $"{path} (from {variable})" : path);
        }

        private bool AnyRead(YamlNode node) => node.AllNodes.Any(_read.Contains);

        private static string Name(YamlNode key) => key is YamlScalarNode { Value: { } name } ? name : key.ToString();

        private static string Dotted(string[] path) => string.Join('.', path);
    }
}
