using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;
using Microsoft.ML.NFNet.Modeling;
using Microsoft.ML.NFNet.Optimization;

namespace Microsoft.ML.NFNet.Samples.Benchmarks;

/// <summary>
/// One full training step of a real variant (zero grad, forward, cross-entropy, backward, AGC, optimizer update), with
/// the AGC and optimizer parts timed on their own to show their share of the step.
/// </summary>
internal static class TrainingStepBenchmark
{
    private const int NumClasses = 1000;

    public static BenchmarkResult Run(string variant, int batch, int resolution, int warmup, int runs, NFNetPrecision precision = NFNetPrecision.Float32)
    {
        var config = NFNetConfig.Variant(variant);
        PeakMemory.Reset();
        using var model = new NFNetModel(config, NumClasses) { TrainingPrecision = precision };
        model.train();
        using var optimizer = NFNetOptimizer.Create(model, new NFNetOptimizerOptions { LearningRate = 0.1, WarmupEpochs = 1 }, batch, 100, 1000);
        using var images = randn(batch, 3, resolution, resolution);
        using var labels = randint(0, NumClasses, batch, dtype: ScalarType.Int64);

        for (var i = 0; i < warmup; i++)
            Step(model, optimizer, images, labels);
        var steps = Enumerable.Range(0, runs).Select(_ => Step(model, optimizer, images, labels)).ToArray();

        var median = Timing.Median(steps.Select(s => s.TotalMs).ToArray());
        var agcShare = Timing.Median(steps.Select(s => s.ClipMs).ToArray()) / median;
        var optimizerShare = Timing.Median(steps.Select(s => s.UpdateMs).ToArray()) / median;
        return new BenchmarkResult(config.Name, "train-step", "cpu", batch, resolution, runs, median, steps.Min(s => s.TotalMs),
            batch * 1000.0 / median, PeakMemory.PeakMiB(), $"AGC {agcShare:P1} of step, optimizer {optimizerShare:P1}",
            agcShare, optimizerShare);
    }

    private readonly record struct StepTimes(double TotalMs, double ClipMs, double UpdateMs);

    private static StepTimes Step(NFNetModel model, NFNetOptimizer optimizer, Tensor images, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var start = Stopwatch.GetTimestamp();
        optimizer.ZeroGrad();
        var loss = nn.functional.cross_entropy(model.forward(images), labels);
        loss.backward();
        var clipStart = Stopwatch.GetTimestamp();
        optimizer.ClipGradients();
        var updateStart = Stopwatch.GetTimestamp();
        optimizer.UpdateParameters();
        var end = Stopwatch.GetTimestamp();
        return new StepTimes(Milliseconds(start, end), Milliseconds(clipStart, updateStart), Milliseconds(updateStart, end));
    }

    private static double Milliseconds(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
}
