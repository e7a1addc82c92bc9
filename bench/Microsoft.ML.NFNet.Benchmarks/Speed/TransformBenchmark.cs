using System.Diagnostics;
using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>
/// Rows/s of ML.NET's <c>Transform</c> over an <c>IDataView</c> of real images (the sample's Fashion-MNIST test set,
/// scaled to the figure's size) against <c>NFNetModelParameters.PredictProbabilities</c> in batches of the figure's
/// batch size, on the same model and images, passes interleaved. The transformer is the one <c>Fit</c> returns
/// (<c>NFNetImageClassificationTrainer.ScoringTransformer</c>), so a batching transformer shows up here as it lands.
/// </summary>
internal static class TransformBenchmark
{
    public const int Rows = 96;

    public static IEnumerable<BenchmarkResult> Run(BenchFigure figure, SpeedSettings settings)
    {
        var mlContext = new MLContext(seed: 0);
        var rows = ScoringModels.TestImages(Rows);
        var (data, transformer, parameters) = ScoringModels.Create(mlContext, figure.Variant, figure.Size, rows);
        try
        {
            parameters.InferencePrecision = settings.Precision;
            if (settings.Engine == BenchEngine.OnnxRuntime)
                parameters.ScoringEngine = NFNetScoringEngine.OnnxRuntime;
            var images = rows.Select(r => (ReadOnlyMemory<byte>)r.ImageSource).ToArray();

            double TransformPass(int count)
            {
                var start = Stopwatch.GetTimestamp();
                var scored = transformer.Transform(mlContext.Data.TakeRows(data, count));
                var score = scored.Schema["Score"];
                using var cursor = scored.GetRowCursor([score]);
                var getter = cursor.GetGetter<VBuffer<float>>(score);
                var buffer = default(VBuffer<float>);
                var seen = 0;
                while (cursor.MoveNext())
                {
                    getter(ref buffer);
                    seen++;
                }
                if (seen != count)
                    throw new InvalidOperationException($"Transform scored {seen} of {count} rows.");
                return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            double BatchedPass(int count)
            {
                var start = Stopwatch.GetTimestamp();
                parameters.PredictProbabilities(images.Take(count).ToArray(), figure.Batch);
                return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            for (var i = 0; i < settings.Warmup; i++)
            {
                TransformPass(figure.Batch);
                BatchedPass(figure.Batch);
            }
            var transformMs = new List<double>();
            var batchedMs = new List<double>();
            for (var i = 0; i < settings.Runs; i++)
            {
                transformMs.Add(TransformPass(Rows));
                batchedMs.Add(BatchedPass(Rows));
            }
            var transformRate = Rows * 1000.0 / Timing.Median(transformMs);
            var batchedRate = Rows * 1000.0 / Timing.Median(batchedMs);
            var extra = new Dictionary<string, double>
            {
                ["rows"] = Rows,
                ["transform_rows_per_s"] = transformRate,
                ["batched_rows_per_s"] = batchedRate,
                ["transform_over_batched"] = transformRate / batchedRate,
            };
            var precision = SpeedSettings.NameOf(settings.Precision);
            var engine = SpeedSettings.NameOf(settings.Engine);
            yield return new BenchmarkResult(parameters.Architecture.Name, "transform", "cpu", figure.Batch, figure.Size,
                settings.Runs, Timing.Median(transformMs) / Rows, transformMs.Min() / Rows, transformRate, PeakMemory.PeakMiB(),
                $"ML.NET Transform over {Rows} images ({transformer.GetType().Name}): {transformRate:F1} rows/s = " +
                $"{transformRate / batchedRate:P0} of batched PredictProbabilities; ms are per row")
            { Engine = engine, Extra = extra };
            yield return new BenchmarkResult(parameters.Architecture.Name, "batched", "cpu", figure.Batch, figure.Size,
                settings.Runs, Timing.Median(batchedMs) / Rows, batchedMs.Min() / Rows, batchedRate, PeakMemory.PeakMiB(),
                $"PredictProbabilities(batchSize: {figure.Batch}) over the same {Rows} images; ms are per row")
            { Engine = engine, Extra = extra };
        }
        finally
        {
            parameters.Model.Dispose();
        }
    }
}
