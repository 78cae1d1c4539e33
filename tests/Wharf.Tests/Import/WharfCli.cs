using System.Diagnostics;
using Wharf.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Wharf.Tests.Import;

/// <summary>What one run of the real CLI did.</summary>
public sealed record CliResult(int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed);

/// <summary>Runs the real executable (<c>dotnet Wharf.dll ...</c>) as an operator would, with
/// none of the machine's WHARF_ or ASPNETCORE_ settings.</summary>
public static class WharfCli
{
    public static async Task<CliResult> RunAsync(ITestOutputHelper? output, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        startInfo.ArgumentList.Add(WharfProcess.ServerDll);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var name in startInfo.Environment.Keys.ToList())
        {
            if (name.StartsWith("WHARF_", StringComparison.OrdinalIgnoreCase) || name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) ||
                name.StartsWith("Storage__", StringComparison.OrdinalIgnoreCase))
            {
                startInfo.Environment.Remove(name);
            }
        }
        output?.WriteLine("$ wharf " + string.Join(' ', arguments));
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"wharf {string.Join(' ', arguments)} did not finish within 5 minutes.\n{await stderr}");
        }
        var result = new CliResult(process.ExitCode, await stdout, await stderr, clock.Elapsed);
        output?.WriteLine($"  exit {result.ExitCode} after {result.Elapsed.TotalSeconds:F1} s\n{result.StdOut}{result.StdErr}");
        return result;
    }

    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}
