using Microsoft.AspNetCore.Builder;
using Microsoft.ML.NFNet.Samples.WebApi;

namespace Microsoft.ML.NFNet.Tests.WebApi;

/// <summary>The sample web API, built exactly as its Program builds it, listening on 127.0.0.1 at a free port.</summary>
internal sealed class PredictionServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private PredictionServer(WebApplication app, Uri address)
    {
        this.app = app;
        Client = new HttpClient { BaseAddress = address };
    }

    /// <summary>A client whose base address is the server.</summary>
    public HttpClient Client { get; }

    /// <summary>The application's services (the shared classifier, the scoring gate, ...).</summary>
    public IServiceProvider Services => app.Services;

    /// <summary>Starts the server; <paramref name="extraArgs"/> are more command-line settings.</summary>
    public static async Task<PredictionServer> StartAsync(string modelPath, params string[] extraArgs)
    {
        var app = PredictionApi.Create(["--model", modelPath, "--urls", "http://127.0.0.1:0",
            "--Logging:LogLevel:Default", "Warning", .. extraArgs]);
        return await StartAsync(app);
    }

    /// <summary>Starts an application built by <see cref="PredictionApi.Create"/> (to which a test may add endpoints).</summary>
    public static async Task<PredictionServer> StartAsync(WebApplication app)
    {
        await app.StartAsync();
        return new PredictionServer(app, new Uri(app.Urls.Single()));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
