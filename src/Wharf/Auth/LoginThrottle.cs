using System.Collections.Concurrent;
using System.Net;

namespace Wharf.Auth;

/// <summary>
/// Counts failed sign-ins per client address; an address that fails too often within the window is
/// refused (429) until the window has passed, which turns password guessing into a slow crawl.
/// </summary>
public sealed class LoginThrottle(AuthOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<IPAddress, Failures> _failures = new();

    /// <summary>How long the address must still wait, or null when it may try.</summary>
    public TimeSpan? RetryAfter(IPAddress? address)
    {
        if (address is null || !_failures.TryGetValue(address, out var failures))
        {
            return null;
        }
        var now = time.GetUtcNow();
        lock (failures)
        {
            if (now - failures.WindowStart >= options.FailedLoginWindow)
            {
                _failures.TryRemove(new KeyValuePair<IPAddress, Failures>(address, failures));
                return null;
            }
            return failures.Count >= options.MaxFailedLogins ? failures.WindowStart + options.FailedLoginWindow - now : null;
        }
    }

    public void Failed(IPAddress? address)
    {
        if (address is null)
        {
            return;
        }
        var now = time.GetUtcNow();
        var failures = _failures.GetOrAdd(address, _ => new Failures { WindowStart = now });
        lock (failures)
        {
            if (now - failures.WindowStart >= options.FailedLoginWindow)
            {
                failures.WindowStart = now;
                failures.Count = 0;
            }
            failures.Count++;
        }
        // Forget addresses whose window has passed, so the table cannot grow without bound.
        if (_failures.Count > 10_000)
        {
            foreach (var (key, value) in _failures)
            {
                if (now - value.WindowStart >= options.FailedLoginWindow)
                {
                    _failures.TryRemove(key, out _);
                }
            }
        }
    }

    public void Succeeded(IPAddress? address)
    {
        if (address is not null)
        {
            _failures.TryRemove(address, out _);
        }
    }

    private sealed class Failures
    {
        public DateTimeOffset WindowStart { get; set; }
        public int Count { get; set; }
    }
}
