using System.Text;

namespace Wharf.Observability;

/// <summary>
/// Standard output through a 64 KiB buffer flushed every 100 ms (and when full, and at exit),
/// instead of one write system call per log line: at tens of thousands of requests a second, the
/// request log's lines cost the console logger's writer thread a core's worth of calls otherwise.
/// The price is that the newest lines reach the file up to 100 ms late, and a process killed with
/// SIGKILL loses at most that much of its log.
/// </summary>
internal static class BufferedStandardOutput
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);
    private static readonly Lock InstallLock = new();
    private static TextWriter? _buffered;
    private static Timer? _timer;

    /// <summary>Buffers standard output for the rest of the process (once, however many servers a
    /// process starts, as the in-process tests do); not when it is a terminal, where a person reads
    /// each line as it comes.</summary>
    public static void Install()
    {
        lock (InstallLock)
        {
            if (_buffered is not null || !Console.IsOutputRedirected)
            {
                return;
            }
            var writer = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024) { AutoFlush = false };
            _buffered = TextWriter.Synchronized(writer);
            _timer = new Timer(_ => Flush(), null, FlushInterval, FlushInterval);
            Console.SetOut(_buffered);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Flush();
        }
    }

    private static void Flush()
    {
        try
        {
            _buffered?.Flush();
        }
        catch (IOException)
        {
            // Standard output closed (the reader went away): nothing to save the lines for.
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
