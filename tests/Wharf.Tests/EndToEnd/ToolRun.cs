using System.Diagnostics;
using Xunit.Abstractions;

namespace Wharf.Tests.EndToEnd;

/// <summary>What one run of a client tool (podman, buildah, docker, ctr) did.</summary>
public sealed record ToolResult(string CommandLine, int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The last non-empty line of stdout: the image or container ID that pull, commit and from print.</summary>
    public string LastLine =>
        StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";

    /// <summary>Fails the test with the tool's output (and the server's, when given) unless it exited 0.</summary>
    public ToolResult EnsureSuccess(WharfProcess? server = null)
    {
        if (!Succeeded)
        {
            Assert.Fail($"{CommandLine} exited with {ExitCode}.\nstderr:\n{StdErr}\nstdout:\n{StdOut}" +
                (server is null ? "" : $"\nWharf output:\n{server.RecentOutput(80)}"));
        }

        return this;
    }

    /// <summary>Fails the test unless the tool failed and said why in one of <paramref name="anyOf"/> (on stderr, any case).</summary>
    public void EnsureRefused(WharfProcess wharf, params string[] anyOf) =>
        EnsureRefused(CommandLine, ExitCode, StdOut, StdErr, wharf, anyOf);

    /// <summary>The check behind <see cref="EnsureRefused(WharfProcess, string[])"/>, for any tool's result.</summary>
    public static void EnsureRefused(string commandLine, int exitCode, string stdout, string stderr, WharfProcess wharf, string[] anyOf)
    {
        var details = $"\nexit {exitCode}\nstderr:\n{stderr}\nstdout:\n{stdout}\nWharf output:\n{wharf.RecentOutput(40)}";
        Assert.True(exitCode != 0, $"{commandLine} succeeded but should have been refused.{details}");
        Assert.True(anyOf.Any(text => stderr.Contains(text, StringComparison.OrdinalIgnoreCase)),
            $"{commandLine} failed, but stderr names none of [{string.Join(", ", anyOf)}].{details}");
    }
}

/// <summary>Runs a client tool to the end with its output captured and a time limit.</summary>
public static class ToolRun
{
    /// <summary>
    /// Starts <paramref name="startInfo"/> (its output redirected here, its stdin closed at once), waits
    /// for it, and returns what it did; a tool still running after <paramref name="limit"/> is killed
    /// and fails the test. <paramref name="commandLine"/> is what the test's output and failures show.
    /// </summary>
    public static async Task<ToolResult> RunAsync(ProcessStartInfo startInfo, string commandLine, ITestOutputHelper? output, TimeSpan limit)
    {
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.RedirectStandardInput = true;
        output?.WriteLine("$ " + commandLine);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(startInfo)!;
        process.StandardInput.Close();
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{commandLine} did not finish within {limit.TotalSeconds} s.\n" +
                $"stderr:\n{await stderrTask}\nstdout:\n{await stdoutTask}");
        }

        var result = new ToolResult(commandLine, process.ExitCode, await stdoutTask, await stderrTask, clock.Elapsed);
        output?.WriteLine($"  exit {result.ExitCode} after {result.Elapsed.TotalSeconds:F1} s");
        if (!result.Succeeded)
        {
            output?.WriteLine("  stderr: " + result.StdErr.Trim());
        }

        return result;
    }
}
