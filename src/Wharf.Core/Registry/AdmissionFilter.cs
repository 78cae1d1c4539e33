using System.Numerics;

namespace Wharf.Registry;

/// <summary>
/// Says whether a key missed a cache before, recently: a cache that admits a key only on its
/// second miss keeps what is asked for again, and is not churned by what is asked for once (on a
/// store far larger than the cache, nearly every request; each insert there would cost an
/// allocation, push out an entry that might have been asked for again, and give the collector
/// work, for nothing). This is TinyLFU's "doorkeeper": one bit per key hash, all cleared after a
/// window of first sightings, so it costs a few KiB whatever the number of keys. A hash collision
/// admits a key on its first miss; that costs what caching everything costs, never a wrong answer.
/// </summary>
public sealed class AdmissionFilter
{
    // Bits per entry the cache holds, and first sightings (in entries the cache holds) before the
    // bits are cleared: a key asked for again within four cache-fulls of other keys is admitted,
    // and at most one bit in eight is set, so a key seen once is admitted by collision at most
    // one time in eight (one in sixteen on average over a window).
    private const int BitsPerEntry = 32;
    private const int WindowEntries = 4;

    private readonly long[] _bits;
    private readonly int _shift;
    private readonly int _window;
    private int _sightings;

    /// <param name="capacity">About how many entries the cache holds.</param>
    public AdmissionFilter(int capacity)
    {
        var bits = BitOperations.RoundUpToPowerOf2((uint)Math.Clamp((long)capacity * BitsPerEntry, 1024, 1 << 24));
        _bits = new long[bits / 64];
        _shift = 64 - BitOperations.Log2(bits);
        _window = (int)Math.Max(1, bits / BitsPerEntry * WindowEntries);
    }

    /// <summary>The bits kept, in bytes.</summary>
    public int Bytes => _bits.Length * sizeof(long);

    /// <summary>Records a miss of the key with this hash; true if it missed before, within the
    /// window (the cache should keep it now).</summary>
    public bool SeenBefore(int hash)
    {
        // Fibonacci hashing spreads any hash code (an ordinal string hash, a tuple's) over the bits.
        var bit = (int)(((ulong)(uint)hash * 0x9E3779B97F4A7C15UL) >> _shift);
        var mask = 1L << (bit & 63);
        ref var word = ref _bits[bit >> 6];
        if ((Volatile.Read(ref word) & mask) != 0)
        {
            return true;
        }
        if (Interlocked.Increment(ref _sightings) >= _window)
        {
            // A new window, which this sighting starts. Racing readers may see a half-cleared
            // array: that admits or delays one key a little, nothing more.
            Interlocked.Exchange(ref _sightings, 0);
            Array.Clear(_bits);
        }
        Interlocked.Or(ref word, mask);
        return false;
    }
}
