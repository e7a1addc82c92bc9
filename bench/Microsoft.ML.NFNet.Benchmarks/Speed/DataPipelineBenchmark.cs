namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>
/// How fast the input pipeline alone (decode, resize/crop, augment, normalize, batch — the library's
/// <see cref="ImageBatcher"/>, on all cores) turns a folder of images into batches, for training and for scoring: it
/// shows whether the loader keeps up with the network.
/// </summary>
internal static class DataPipelineBenchmark
{
    private const int BatchSize = 32;

    public static IEnumerable<BenchmarkResult> Run(string folder, int resolution, int warmup, int runs)
    {
        var data = ImageDataSource.FromFolder(folder);
        var images = Enumerable.Range(0, data.Count).Select(i => data[i]).ToArray();
        var batcher = new ImageBatcher(new ImagePreprocessingOptions
        {
            ImageSize = resolution, CropScaleMin = 0.08, HorizontalFlipProbability = 0.5, MixUpAlpha = 0, CutMixAlpha = 0,
        });
        var name = $"data: {Path.GetFileName(Path.TrimEndingDirectorySeparator(folder))}";
        var random = new Random(1);
        var next = 0;
        LabeledImage[] NextBatch() => Enumerable.Range(0, BatchSize).Select(_ => images[next++ % images.Length]).ToArray();

        foreach (var training in new[] { true, false })
        {
            PeakMemory.Reset();
            var times = Timing.Measure(() =>
            {
                var batch = NextBatch();
                var encoded = batch.Select(b => b.Encoded).ToArray();
                if (training)
                    batcher.CreateTrainingBatch(encoded, batch.Select(b => b.Label).ToArray(), data.ClassCount, 0.1, random).Dispose();
                else
                    batcher.CreateEvaluationBatch(encoded).Dispose();
            }, warmup, runs);
            var median = Timing.Median(times);
            yield return new BenchmarkResult(name, training ? "decode+augment" : "decode+eval crop", "cpu", BatchSize, resolution,
                runs, median, times.Min(), BatchSize * 1000.0 / median, PeakMemory.PeakMiB(),
                $"{data.Count} images, {Environment.ProcessorCount} cores");
        }
    }
}
