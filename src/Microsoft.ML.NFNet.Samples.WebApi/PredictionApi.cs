using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.ML.NFNet.Samples.WebApi.Endpoints;
using Microsoft.ML.NFNet.Samples.WebApi.Model;

namespace Microsoft.ML.NFNet.Samples.WebApi;

/// <summary>Builds the web application: settings and limits, the one loaded model, error handling, the endpoints.</summary>
public static class PredictionApi
{
    /// <summary>
    /// Creates the application from command-line arguments (<c>--model model.zip --urls http://127.0.0.1:5000</c>) and
    /// the usual ASP.NET Core configuration sources. The model is loaded here, before the server listens.
    /// </summary>
    /// <exception cref="ModelLoadException">The model is not configured, missing or cannot be served.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <see cref="ServingOptions"/> is out of range.</exception>
    public static WebApplication Create(string[] args)
    {
        // appsettings.json is read from the app's folder, so the server runs the same from any working directory; a
        // relative --model path is relative to the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var options = builder.Configuration.Get<ServingOptions>() ?? new ServingOptions();
        options.Validate();
        var classifier = ImageClassifier.Load(options.Model);
        var pixelLimit = ServingPixelLimit.For(options.MaxImagePixels, classifier.Preprocessing);

        builder.Services.AddSingleton(classifier);
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton(pixelLimit);
        builder.Services.AddSingleton(_ => new ScoringGate(options));
        // One limit for the whole request, raw or multipart: Kestrel stops reading past it (413).
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Services.Configure<FormOptions>(form => form.MultipartBodyLengthLimit = options.MaxRequestBodyBytes);
        builder.Services.AddProblemDetails();

        var app = builder.Build();
        // An unexpected exception becomes a bare 500 problem: the stack trace goes to the log, never to the client.
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // The shared model outlives every request; it is freed only once the server has stopped.
        app.Lifetime.ApplicationStopped.Register(classifier.Dispose);

        app.Logger.LogInformation("Serving {Model}: images up to {Pixels:N0} pixels ({Explanation}), {Slots} scored at once",
            classifier.ModelPath, pixelLimit.Pixels, pixelLimit.Explanation, options.MaxConcurrentScoring);
        app.MapPost("/predict", PredictEndpoint.HandleAsync);
        app.MapGet("/health", HealthEndpoint.Handle);
        return app;
    }
}
