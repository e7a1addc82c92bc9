using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.NFNet.Benchmarks.Speed;
using SkiaSharp;

namespace Microsoft.ML.NFNet.Benchmarks.Scoring;

/// <summary>Rows per second of one scoring path, over every round.</summary>
/// <param name="Path">"Transform", "PredictProbabilities" or "PredictionEngine".</param>
/// <param name="RowsPerSecond">Rows per wall-clock second, one figure per round.</param>
/// <param name="RowsPerCpuSecond">Rows per second of this process's CPU time (user + system), one per round: steadier
/// than wall time on a machine shared with other work.</param>
internal sealed record ScoringFigure(string Path, double[] RowsPerSecond, double[] RowsPerCpuSecond)
{
    public double Median => Timing.Median(RowsPerSecond);

    public double MedianPerCpuSecond => Timing.Median(RowsPerCpuSecond);
}

/// <summary>
/// The three ways to score many images with a trained model, on the same images and the same model, rounds
/// interleaved: ML.NET <c>Transform</c> over an <c>IDataView</c> (the Model Builder pipeline, Score and PredictedLabel
/// read), <c>NFNetModelParameters.PredictProbabilities</c> at the same batch size, and one <c>PredictionEngine</c> row by
/// row. The model is the variant after one training step at a tiny learning rate from random initialisation — random
/// weights, made through the public trainer (speed does not depend on the weights' values).
/// </summary>
internal static class ScoringBenchmark
{
    private static readonly string[] Classes = ["a", "b", "c", "d"];

    public static IReadOnlyList<ScoringFigure> Run(string variant, int imageSize, int imageCount, int batchSize, int rounds,
        Action<string> log)
    {
        var mlContext = new MLContext(seed: 1);
        log($"{variant} at {imageSize} px: making the model (one training step from random weights)...");
        var model = RandomModel(mlContext, variant, imageSize, batchSize);
        try
        {
            var parameters = ((IEnumerable<ITransformer>)model).OfType<NFNetPredictionTransformer>().Single().Model;
            var images = SyntheticJpegs(imageCount, seed: 7);
            var data = mlContext.Data.LoadFromEnumerable(images.Select(i => new Input { ImageSource = i }));
            var memories = images.Select(i => (ReadOnlyMemory<byte>)i).ToArray();
            using var engine = mlContext.Model.CreatePredictionEngine<Input, Output>(model,
                new PredictionEngineOptions { OwnsTransformer = false });

            var paths = new (string Name, Func<int> Score)[]
            {
                ("Transform", () => ConsumeTransform(model, data)),
                ("PredictProbabilities", () => parameters.PredictProbabilities(memories, batchSize).Length),
                ("PredictionEngine", () => images.Count(image => engine.Predict(new Input { ImageSource = image }).Score.Length > 0)),
            };
            // Warm-up: one batch through each path (first-touch allocations, oneDNN primitive caches).
            var warmData = mlContext.Data.LoadFromEnumerable(images.Take(batchSize).Select(i => new Input { ImageSource = i }));
            ConsumeTransform(model, warmData);
            parameters.PredictProbabilities(memories.Take(batchSize).ToArray(), batchSize);
            engine.Predict(new Input { ImageSource = images[0] });

            var figures = paths.Select(p => (p.Name, Wall: new List<double>(), Cpu: new List<double>())).ToArray();
            using var process = Process.GetCurrentProcess();
            for (var round = 0; round < rounds; round++)
            {
                foreach (var (name, wall, cpu) in figures)
                {
                    var score = paths.Single(p => p.Name == name).Score;
                    process.Refresh();
                    var cpuStart = process.TotalProcessorTime;
                    var start = Stopwatch.GetTimestamp();
                    var rows = score();
                    var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    process.Refresh();
                    var cpuSeconds = (process.TotalProcessorTime - cpuStart).TotalSeconds;
                    if (rows != imageCount)
                        throw new InvalidOperationException($"{name} scored {rows} rows, expected {imageCount}.");
                    wall.Add(rows / seconds);
                    cpu.Add(rows / cpuSeconds);
                    log($"  round {round + 1}: {name,-20} {rows / seconds,8:F1} rows/s, {rows / cpuSeconds,8:F1} rows per CPU-s");
                }
            }
            return figures.Select(f => new ScoringFigure(f.Name, f.Wall.ToArray(), f.Cpu.ToArray())).ToArray();
        }
        finally
        {
            ((IDisposable)model).Dispose();
        }
    }

    // Reads Score and PredictedLabel of every row, as Evaluate or a bulk-scoring job does.
    private static int ConsumeTransform(ITransformer model, IDataView data)
    {
        var scored = model.Transform(data);
        var scoreColumn = scored.Schema["Score"];
        var labelColumn = scored.Schema["PredictedLabel"];
        using var cursor = scored.GetRowCursor([scoreColumn, labelColumn]);
        var getScore = cursor.GetGetter<VBuffer<float>>(scoreColumn);
        var getLabel = cursor.GetGetter<ReadOnlyMemory<char>>(labelColumn);
        VBuffer<float> score = default;
        ReadOnlyMemory<char> label = default;
        var rows = 0;
        while (cursor.MoveNext())
        {
            getScore(ref score);
            getLabel(ref label);
            rows++;
        }
        return rows;
    }

    private static ITransformer RandomModel(MLContext mlContext, string variant, int imageSize, int batchSize)
    {
        var rows = SyntheticJpegs(Classes.Length * 2, seed: 1)
            .Select((image, i) => new LabeledInput { Label = Classes[i % Classes.Length], ImageSource = image });
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var options = new NFNetImageClassificationTrainer.Options
        {
            FeatureColumnName = nameof(Input.ImageSource),
            Architecture = NFNetConfig.Variant(variant),
            ValidationSetFraction = 0,
            ScoringBatchSize = batchSize,
            Training = new()
            {
                Epochs = 1,
                BatchSize = Classes.Length * 2,
                Seed = 1,
                Optimizer = new() { LearningRate = 1e-6 },
                Preprocessing = new() { ImageSize = imageSize },
                MetricsCallback = _ => { },
            },
        };
        return mlContext.MulticlassClassification.Trainers.NFNet(options)
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(keyed);
    }

    /// <summary>320×240 JPEG photos stand-ins: smooth colour gradients with noise, so decoding and resizing cost what
    /// they cost on camera images of that size.</summary>
    internal static byte[][] SyntheticJpegs(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            using var bitmap = new SKBitmap(320, 240);
            var (r, g, b) = (random.Next(256), random.Next(256), random.Next(256));
            for (var y = 0; y < bitmap.Height; y++)
            for (var x = 0; x < bitmap.Width; x++)
            {
                var noise = random.Next(-20, 21);
                bitmap.SetPixel(x, y, new SKColor((byte)Math.Clamp((r + x) % 256 + noise, 0, 255),
                    (byte)Math.Clamp((g + y) % 256 + noise, 0, 255), (byte)Math.Clamp(b + noise, 0, 255)));
            }
            using var encoded = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
            return encoded.ToArray();
        }).ToArray();
    }

    private sealed class Input
    {
        public byte[] ImageSource { get; set; } = [];
    }

    private sealed class LabeledInput
    {
        public string Label { get; set; } = "";
        public byte[] ImageSource { get; set; } = [];
    }

    private sealed class Output
    {
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }
}
