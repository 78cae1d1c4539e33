using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using Wharf.Configuration;
using Wharf.Distribution;

namespace Wharf.Api;

/// <summary>
/// Caps the upload requests (bodies being received) one client address may have in flight, so one
/// client cannot tie up every connection and disk stream: past the cap it gets 429 TOOMANYREQUESTS
/// and retries, as clients do.
/// </summary>
internal sealed class UploadConcurrency(IOptions<LimitOptions> limits)
{
    /// <summary>Upload requests receiving their bodies now, from every client.</summary>
    private static readonly System.Diagnostics.Metrics.UpDownCounter<long> InFlight = Diagnostics.WharfTelemetry.Meter.CreateUpDownCounter<long>(
        "wharf.uploads.in_flight", description: "Upload requests (POST, PATCH, PUT with a blob body) being received now");

    private readonly ConcurrentDictionary<IPAddress, StrongBox> _inFlight = new();

    public Lease Enter(IPAddress? address)
    {
        if (address is null)
        {
            return default;
        }
        var box = _inFlight.GetOrAdd(address, _ => new StrongBox());
        if (Interlocked.Increment(ref box.Count) > limits.Value.MaxConcurrentUploadsPerClient)
        {
            Interlocked.Decrement(ref box.Count);
            throw new RegistryException(ErrorCode.TooManyRequests, $"more than {limits.Value.MaxConcurrentUploadsPerClient} uploads in flight from this address")
            {
                Headers = new Dictionary<string, string> { ["Retry-After"] = "1" },
            };
        }
        InFlight.Add(1);
        return new Lease(box);
    }

    internal sealed class StrongBox
    {
        public int Count;
    }

    public readonly struct Lease(StrongBox? box) : IDisposable
    {
        public void Dispose()
        {
            if (box is not null)
            {
                Interlocked.Decrement(ref box.Count);
                InFlight.Add(-1);
            }
        }
    }
}
