using System.Diagnostics;

namespace Wharf.Bench;

/// <summary>Runs a command-line tool to completion, bounded in time, and returns its exit code and output.</summary>
internal static class Tool
{
    public static async Task<(int Exit, string Output)> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout}");
        }
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>The first line a tool prints about itself, or "not found".</summary>
    public static async Task<string> VersionAsync(string file, params string[] args)
    {
        try
        {
            var (_, output) = await RunAsync(file, args, TimeSpan.FromSeconds(30));
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "not found";
        }
    }
}
