using System.CommandLine;
using System.Globalization;
using Microsoft.ML.NFNet.Benchmarks.Speed;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.WebApi;
using SkiaSharp;
using TorchSharp;

namespace Microsoft.ML.NFNet.Benchmarks.WebApiLoad;

/// <summary>
/// <c>webapi-load</c>: starts the web API sample on 127.0.0.1 (a free port), drives it with concurrent clients over
/// loopback HTTP and prints requests/s and latency percentiles. Exit code 1 when any request failed.
/// </summary>
internal sealed class LoadTestCommand : System.CommandLine.Command
{
    private static readonly LoadTestOptions Defaults = new();

    private readonly Option<string?> model = CliOptions.Single<string?>("--model",
        "A model zip to serve [default: --architecture trained here for 1 epoch on 24 synthetic images]", ValueParsers.ExistingFile, "zip");
    private readonly Option<string> architecture = CliOptions.Single("--architecture",
        "The NFNet variant trained here when no --model is given", VariantNames.Parse, "name", () => Defaults.Architecture);
    private readonly Option<int> imageSize = CliOptions.Single("--image-size", "Side of the network input of the model trained here",
        ValueParsers.Int(min: 32, max: 1024), "px", () => Defaults.ImageSize);
    private readonly Option<string?> image = CliOptions.Single<string?>("--image",
        "An image file to send [default: a synthetic 224×224 JPEG]", ValueParsers.ExistingFile, "file");
    private readonly Option<int> concurrency = CliOptions.Single("--concurrency",
        "Concurrent clients, each with its own HttpClient and connection", ValueParsers.Int(min: 1, max: 1024), "n", () => Defaults.Concurrency);
    private readonly Option<double> duration = CliOptions.Single("--duration", "Seconds of measurement",
        ValueParsers.Double(0.1, 86_400), "seconds", () => Defaults.Duration);
    private readonly Option<double> warmup = CliOptions.Single("--warmup", "Seconds of requests before measuring, not counted",
        ValueParsers.Double(0, 3_600), "seconds", () => Defaults.Warmup);
    private readonly Option<int> bombs = CliOptions.Single("--bombs",
        "Pixel bombs sent at once in the middle of normal traffic (0: none); prints the server's memory before, at the peak and after",
        ValueParsers.Int(min: 0, max: 1024), "n", () => Defaults.Bombs);
    private readonly Option<int> bombSide = CliOptions.Single("--bomb-side", "Side of each pixel bomb (a small PNG declaring side × side)",
        ValueParsers.Int(min: 1, max: 65_535), "px", () => Defaults.BombSide);
    private readonly Option<double> settle = CliOptions.Single("--settle", "Seconds of normal traffic after the last bomb's answer",
        ValueParsers.Double(0, 3_600), "seconds", () => Defaults.Settle);

    public LoadTestCommand() : base("webapi-load",
        "Serves a model with the web API sample on 127.0.0.1 and measures requests/s and latency percentiles of batch-1 " +
        "raw-body requests from concurrent clients (clients and server in one process).")
    {
        foreach (var option in new Option[] { model, architecture, imageSize, image, concurrency, duration, warmup, bombs, bombSide, settle })
            Options.Add(option);
        SetAction((result, _) => RunAsync(Bind(result)));
    }

    /// <summary>Reads a parsed command line (the parser has already checked every value).</summary>
    public LoadTestOptions Bind(ParseResult result) => new(result.GetValue(model), result.GetValue(architecture)!, result.GetValue(imageSize), result.GetValue(image),
        result.GetValue(concurrency), result.GetValue(duration), result.GetValue(warmup), result.GetValue(bombs),
        result.GetValue(bombSide), result.GetValue(settle));

    /// <summary>Runs the load test; returns the process exit code.</summary>
    public static async Task<int> RunAsync(LoadTestOptions options)
    {
        var workFolder = Directory.CreateTempSubdirectory("nfnet-loadtest-");
        try
        {
            var modelPath = options.Model ?? TrainModel(workFolder.FullName, options.Architecture, options.ImageSize);
            var (image, contentType, imageDescription) = RequestImage(options.Image);
            if (options.Bombs > 0)
                return await BombBurstReport.RunAsync(modelPath, image, contentType, imageDescription, options);
            await using var app = PredictionApi.Create(
                ["--model", modelPath, "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"]);
            await app.StartAsync();
            var server = new Uri(app.Urls.First());

            Console.WriteLine($"server {server} | model {Path.GetFileName(modelPath)} | request: {imageDescription}, " +
                              $"raw body, batch 1 | {options.Concurrency} clients, {options.Warmup:0.#} s warm-up + " +
                              $"{options.Duration:0.#} s | {Environment.ProcessorCount} cores, torch threads " +
                              $"{torch.get_num_threads()} | clients and server in one process");
            var summary = await LoadGenerator.RunAsync(server, image, contentType, options.Concurrency,
                TimeSpan.FromSeconds(options.Warmup), TimeSpan.FromSeconds(options.Duration));
            await app.StopAsync();

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{summary.Succeeded} requests ok, {summary.Failed} failed in {summary.Seconds:0.0} s: " +
                $"{summary.RequestsPerSecond:0.0} requests/s | latency ms p50 {summary.P50Ms:0.0}, p95 {summary.P95Ms:0.0}, " +
                $"p99 {summary.P99Ms:0.0}, max {summary.MaxMs:0.0}"));
            return summary.Failed == 0 && summary.Succeeded > 0 ? 0 : 1;
        }
        finally
        {
            workFolder.Delete(recursive: true);
        }
    }

    private static string TrainModel(string folder, string architecture, int imageSize)
    {
        var path = Path.Combine(folder, architecture + ".zip");
        Console.WriteLine($"training {architecture} at {imageSize} px for 1 epoch on 24 synthetic images (pass --model to skip)...");
        QuickModel.TrainAndSave(path, architecture, imageSize);
        return path;
    }

    private static (byte[] Bytes, string ContentType, string Description) RequestImage(string? path)
    {
        if (path != null)
        {
            var bytes = File.ReadAllBytes(path);
            return (bytes, "application/octet-stream", $"{Path.GetFileName(path)} ({bytes.Length:N0} bytes)");
        }
        var jpeg = SyntheticImages.Encode(classIndex: 1, 224, 224, seed: 7, SKEncodedImageFormat.Jpeg);
        return (jpeg, "image/jpeg", $"224×224 JPEG ({jpeg.Length:N0} bytes)");
    }
}
