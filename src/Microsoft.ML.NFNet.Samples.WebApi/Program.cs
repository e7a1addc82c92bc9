using Microsoft.ML.NFNet.Samples.WebApi;
using Microsoft.ML.NFNet.Samples.WebApi.LoadTest;
using Microsoft.ML.NFNet.Samples.WebApi.Model;

// nfnet-webapi --model model.zip [--urls http://127.0.0.1:5000]   serves the model (docs/web-api.md)
// nfnet-webapi loadtest [--model model.zip] [--concurrency 4] ...  measures it over loopback HTTP
if (args.Length > 0 && args[0] == "loadtest")
    return await LoadTestCommand.RunAsync(args[1..]);

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
