using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

/// <summary>
/// The server as its own process (this program without <c>loadtest</c>) on 127.0.0.1, so that its memory is measured
/// apart from the clients'. Stopped (killed) on dispose.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process process;

    private ServerProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
        Memory = new ServerMemory(process.Id);
    }

    public Uri Address { get; }

    public ServerMemory Memory { get; }

    public int Id => process.Id;

    /// <summary>Starts the server on a free loopback port and waits until <c>/health</c> answers.</summary>
    public static async Task<ServerProcess> StartAsync(string modelPath, IEnumerable<string> extraArgs, TimeSpan timeout)
    {
        var port = FreePort();
        var start = StartInfo();
        foreach (var arg in (string[])["--model", modelPath, "--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default", "Warning", .. extraArgs])
            start.ArgumentList.Add(arg);
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data != null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (process.HasExited)
                break;
            try
            {
                using var health = await client.GetAsync("/health");
                if (health.StatusCode == HttpStatusCode.OK)
                    return server;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        await server.DisposeAsync();
        throw new InvalidOperationException($"The server did not answer /health within {timeout.TotalSeconds:0} s:\n{string.Join("\n", output)}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }

    // The apphost next to this assembly, else `dotnet nfnet-webapi.dll` (as when a test runner hosts this code).
    private static ProcessStartInfo StartInfo()
    {
        var folder = AppContext.BaseDirectory;
        var appHost = Path.Combine(folder, OperatingSystem.IsWindows() ? "nfnet-webapi.exe" : "nfnet-webapi");
        if (File.Exists(appHost))
            return new ProcessStartInfo(appHost);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        start.ArgumentList.Add(Path.Combine(folder, "nfnet-webapi.dll"));
        return start;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
