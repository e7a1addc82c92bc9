using System.Diagnostics;
using System.Text.Json;

namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>
/// First-prediction latency as a deployed app sees it: in a fresh process, <c>mlContext.Model.Load</c> of a saved model
/// zip, then <c>CreatePredictionEngine</c> and the first <c>Predict</c>. The parent saves a zip of the randomly
/// initialised variant, then starts this program once per run with <c>--model</c>; each child measures itself and prints
/// a RESULT line that the parent reads.
/// </summary>
internal static class FirstPredictionBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(BenchFigure figure, SpeedSettings settings)
    {
        var folder = Path.Combine(Path.GetTempPath(), "nfnet-first-prediction-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var zip = Path.Combine(folder, "model.zip");
            var mlContext = new MLContext(seed: 0);
            var rows = ScoringModels.TestImages(20);
            var (data, transformer, parameters) = ScoringModels.Create(mlContext, figure.Variant, figure.Size, rows);
            mlContext.Model.Save(transformer, data.Schema, zip);
            parameters.Model.Dispose();
            var zipMiB = new FileInfo(zip).Length / 1048576.0;

            var children = Enumerable.Range(0, settings.Runs).Select(_ => RunChild(figure, settings, zip)).ToArray();
            double Median(string key) => Timing.Median(children.Select(c => c[key]).ToArray());
            var total = children.Select(c => c["load_ms"] + c["predict_ms"]).ToArray();
            var extra = new Dictionary<string, double>
            {
                ["load_ms"] = Median("load_ms"),
                ["predict_ms"] = Median("predict_ms"),
                ["process_start_to_prediction_ms"] = Median("process_start_to_prediction_ms"),
                ["zip_mib"] = zipMiB,
            };
            yield return new BenchmarkResult(figure.Variant, "first-prediction", "cpu", 1, figure.Size, settings.Runs,
                Timing.Median(total), total.Min(), 0, children.Max(c => c["peak_rss_mib"]),
                $"fresh process: Model.Load {extra["load_ms"]:F0} ms + CreatePredictionEngine and first Predict " +
                $"{extra["predict_ms"]:F0} ms; {extra["process_start_to_prediction_ms"]:F0} ms from process start; zip {zipMiB:F1} MiB")
            { Engine = SpeedSettings.NameOf(settings.Engine), Extra = extra };
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The child's side: measures Load + first Predict in this (fresh) process and prints one RESULT line.</summary>
    public static int MeasureInThisProcess(string zip, SpeedSettings settings)
    {
        var image = ScoringModels.TestImages(1)[0];
        var start = Stopwatch.GetTimestamp();
        var mlContext = new MLContext(seed: 0);
        var model = mlContext.Model.Load(zip, out _);
        var loadMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (settings.Engine == BenchEngine.OnnxRuntime)
            NFNetModelParameters.FindIn(model)!.ScoringEngine = NFNetScoringEngine.OnnxRuntime;
        var engine = mlContext.Model.CreatePredictionEngine<BenchImage, BenchPrediction>(model);
        var scores = engine.Predict(image).Score;
        var totalMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (scores.Length == 0 || !scores.All(float.IsFinite))
            throw new InvalidOperationException("The first prediction returned no finite scores.");
        var sinceStart = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        Console.Out.WriteLine(ResultLine.Prefix + JsonSerializer.Serialize(new Dictionary<string, double>
        {
            ["load_ms"] = Math.Round(loadMs, 1),
            ["predict_ms"] = Math.Round(totalMs - loadMs, 1),
            ["process_start_to_prediction_ms"] = Math.Round(sinceStart, 1),
            ["peak_rss_mib"] = Math.Round(PeakMemory.PeakMiB() ?? 0, 1),
        }));
        return 0;
    }

    private static Dictionary<string, double> RunChild(BenchFigure figure, SpeedSettings settings, string zip)
    {
        var self = typeof(FirstPredictionBenchmark).Assembly.Location;
        var host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (!Path.GetFileNameWithoutExtension(host).Equals(Path.GetFileNameWithoutExtension(self), StringComparison.Ordinal))
            start.ArgumentList.Add(self); // run through the dotnet host: name the app's dll
        foreach (var argument in new[] { "speed", "--mode", "first-prediction", "--variant", figure.Variant, "--size",
                     figure.Size.ToString(), "--batch", "1", "--engine", SpeedSettings.NameOf(settings.Engine), "--model", zip })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = stdout.Split('\n').FirstOrDefault(l => l.StartsWith(ResultLine.Prefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The first-prediction child printed no RESULT line (exit {process.ExitCode}): " +
                                                   stdout + stderr.Result);
        return JsonSerializer.Deserialize<Dictionary<string, double>>(line[ResultLine.Prefix.Length..])!;
    }
}
