using Microsoft.ML.NFNet.Samples.WebApi;
using Microsoft.ML.NFNet.Samples.WebApi.Model;

// nfnet-webapi --model model.zip [--urls http://127.0.0.1:5000]   serves the model (docs/web-api.md); the benchmark app's
// webapi-load command measures it under load.
WebApplication app;
try
{
    app = PredictionApi.Create(args);
}
catch (Exception e) when (e is ModelLoadException or ArgumentException or InvalidOperationException)
{
    Console.Error.WriteLine($"nfnet-webapi: {e.Message}");
    return 1;
}
await app.RunAsync();
return 0;
