using System.Diagnostics;

namespace Microsoft.ML.NFNet;

/// <summary>A data-pipeline speed measurement.</summary>
/// <param name="Images">Images decoded and preprocessed during the timed part.</param>
/// <param name="Elapsed">Wall-clock time of the timed part.</param>
/// <param name="ProcessorTime">CPU time the whole process used meanwhile (all threads); unlike wall-clock time it
/// hardly changes when other processes compete for the cores.</param>
internal readonly record struct ThroughputMeasurement(int Images, TimeSpan Elapsed, TimeSpan ProcessorTime)
{
    public double ImagesPerSecond => Images / Elapsed.TotalSeconds;

    public double ProcessorMillisecondsPerImage => ProcessorTime.TotalMilliseconds / Images;
}

/// <summary>
/// Measures how many images per second the data pipeline (decode + resize/crop + augment + normalise + batch) delivers,
/// without a model, to tell whether input preparation or the network limits training and scoring speed.
/// </summary>
internal static class DataPipelineThroughput
{
    /// <param name="images">Encoded images; cycled through until <paramref name="minimumImages"/> are processed.</param>
    /// <param name="options">The preprocessing to measure.</param>
    /// <param name="training">Training augmentation (and mixing, if on) when true; evaluation preprocessing when false.</param>
    /// <param name="batchSize">Images per batch.</param>
    /// <param name="minimumImages">Images to process in the timed part (after one warm-up batch), rounded up to batches.</param>
    /// <param name="maxDegreeOfParallelism">As for <see cref="ImageBatcher"/>; 0 = processor count.</param>
    /// <param name="seed">Seeds the training augmentation.</param>
    public static ThroughputMeasurement Measure(
        IReadOnlyList<byte[]> images, ImagePreprocessingOptions options, bool training,
        int batchSize = 32, int minimumImages = 256, int maxDegreeOfParallelism = 0, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            throw new ArgumentException("At least one image is needed.", nameof(images));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);

        var batcher = new ImageBatcher(options, maxDegreeOfParallelism);
        var random = new Random(seed);
        var next = 0;
        RunBatch(); // warm-up: first-call costs (native library loading, thread pool growth) are not throughput

        var processed = 0;
        using var process = Process.GetCurrentProcess();
        var processorTimeBefore = process.TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        while (processed < minimumImages)
            processed += RunBatch();
        stopwatch.Stop();
        process.Refresh();
        return new ThroughputMeasurement(processed, stopwatch.Elapsed, process.TotalProcessorTime - processorTimeBefore);

        int RunBatch()
        {
            var batch = new ReadOnlyMemory<byte>[batchSize];
            for (var i = 0; i < batchSize; i++)
                batch[i] = images[next++ % images.Count];
            if (training)
            {
                using var trainingBatch = batcher.CreateTrainingBatch(batch, new int[batchSize], classCount: 1, 0, random);
            }
            else
            {
                using var evaluationBatch = batcher.CreateEvaluationBatch(batch);
            }
            return batchSize;
        }
    }
}
