using System.Globalization;
using SkiaSharp;
using TorchSharp;

namespace Microsoft.ML.NFNet.Samples.WebApi.LoadTest;

/// <summary>
/// <c>nfnet-webapi loadtest</c>: starts the real server on 127.0.0.1 (a free port), drives it with concurrent clients
/// over loopback HTTP and prints requests/s and latency percentiles.
/// </summary>
public static class LoadTestCommand
{
    private static readonly Dictionary<string, string> Switches = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--model"] = nameof(LoadTestOptions.Model),
        ["--image-size"] = nameof(LoadTestOptions.ImageSize),
        ["--image"] = nameof(LoadTestOptions.Image),
        ["--concurrency"] = nameof(LoadTestOptions.Concurrency),
        ["--duration"] = nameof(LoadTestOptions.Duration),
        ["--warmup"] = nameof(LoadTestOptions.Warmup),
        ["--bombs"] = nameof(LoadTestOptions.Bombs),
        ["--bomb-side"] = nameof(LoadTestOptions.BombSide),
        ["--settle"] = nameof(LoadTestOptions.Settle),
    };

    /// <summary>Runs the load test; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        LoadTestOptions options;
        try
        {
            options = Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FileNotFoundException or FormatException)
        {
            Console.Error.WriteLine($"nfnet-webapi loadtest: {e.Message}");
            Console.Error.WriteLine("usage: nfnet-webapi loadtest [--model <zip>] [--image-size 128] [--image <file>] " +
                                    "[--concurrency 4] [--duration 20] [--warmup 3] [--bombs 8 [--bomb-side 7900] [--settle 5]]");
            return 1;
        }

        var workFolder = Directory.CreateTempSubdirectory("nfnet-loadtest-");
        try
        {
            var modelPath = options.Model ?? TrainModel(workFolder.FullName, options.ImageSize);
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

    private static LoadTestOptions Parse(string[] args)
    {
        var configuration = new ConfigurationBuilder().AddCommandLine(args, Switches).Build();
        var unknown = configuration.GetChildren().Select(c => c.Key)
            .Where(key => !Switches.ContainsValue(key)).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException($"Unknown option: {string.Join(", ", unknown)}.");
        var options = configuration.Get<LoadTestOptions>() ?? new LoadTestOptions();
        options.Validate();
        return options;
    }

    private static string TrainModel(string folder, int imageSize)
    {
        var path = Path.Combine(folder, "nfnet_tiny.zip");
        Console.WriteLine($"training nfnet_tiny at {imageSize} px for 1 epoch on 24 synthetic images (pass --model to skip)...");
        QuickModel.TrainAndSave(path, imageSize);
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
