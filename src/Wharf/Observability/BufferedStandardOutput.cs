using System.Text;

namespace Wharf.Observability;

/// <summary>
/// Standard output through a 64 KiB buffer flushed every 100 ms (and when full, and at exit),
/// instead of one write system call per log line: at tens of thousands of requests a second, the
/// request log's lines cost the console logger's writer thread a core's worth of calls otherwise.
/// The price is that the newest lines reach the file up to 100 ms late, and a process killed with
/// SIGKILL loses at most that much of its log.
/// </summary>
internal sealed class BufferedStandardOutput : IDisposable
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private readonly TextWriter _original;
    private readonly TextWriter _buffered;
    private readonly Timer _timer;

    private BufferedStandardOutput()
    {
        _original = Console.Out;
        var writer = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024) { AutoFlush = false };
        _buffered = TextWriter.Synchronized(writer);
        _timer = new Timer(_ => Flush(), null, FlushInterval, FlushInterval);
        Console.SetOut(_buffered);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Flush();
    }

    /// <summary>Buffers standard output until disposed; not when it is a terminal, where a person
    /// reads each line as it comes.</summary>
    public static IDisposable? Install() => Console.IsOutputRedirected ? new BufferedStandardOutput() : null;

    private void Flush()
    {
        try
        {
            _buffered.Flush();
        }
        catch (IOException)
        {
            // Standard output closed (the reader went away): nothing to save the lines for.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Flush();
        Console.SetOut(_original);
    }
}
