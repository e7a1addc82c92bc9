using System.Diagnostics;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet.Benchmarks.Speed;

/// <summary>
/// One full training step of a real variant as perf_anchor.py times timm's (zero grad, forward, cross-entropy,
/// backward, AGC, SGD update), the parameters reset to their initial values before each step (untimed), with the AGC
/// and optimizer parts timed on their own to show their share of the step. The peak RSS is the process's. The steps'
/// thread count is tuned as the trainer tunes its own (<see cref="IntraOpThreadTuner"/>; fixed when OMP_NUM_THREADS is
/// set): on a quiet machine it stays at --threads, beside busy processes it follows the load after a few steps.
/// </summary>
internal static class TrainingStepBenchmark
{
    public static BenchmarkResult Run(BenchFigure figure, SpeedSettings settings, bool resetPeak)
    {
        if (resetPeak)
            PeakMemory.Reset();
        using var model = AnchorProtocol.CreateModel(figure.Variant, forTraining: true);
        model.TrainingPrecision = settings.Precision;
        model.train();
        using var optimizer = AnchorProtocol.CreateOptimizer(model, figure.Batch);
        using var images = AnchorProtocol.Images(figure.Batch, figure.Size);
        using var labels = AnchorProtocol.Labels(figure.Batch);
        var parameters = model.parameters().ToArray();
        var initial = parameters.Select(p => p.detach().clone()).ToArray();
        var threads = IntraOpThreadTuner.ForThisThread("training steps", log: null);

        for (var i = 0; i < settings.Warmup; i++)
            ResetThenStep(model, optimizer, images, labels, parameters, initial, threads);
        var steps = Enumerable.Range(0, settings.Runs)
            .Select(_ => ResetThenStep(model, optimizer, images, labels, parameters, initial, threads)).ToArray();
        foreach (var copy in initial)
            copy.Dispose();

        var median = Timing.Median(steps.Select(s => s.TotalMs).ToArray());
        var agcShare = Timing.Median(steps.Select(s => s.ClipMs).ToArray()) / median;
        var optimizerShare = Timing.Median(steps.Select(s => s.UpdateMs).ToArray()) / median;
        return new BenchmarkResult(model.Config.Name, "train-step", "cpu", figure.Batch, figure.Size, settings.Runs, median,
            steps.Min(s => s.TotalMs), figure.Batch * 1000.0 / median, PeakMemory.PeakMiB(),
            $"AGC {agcShare:P1} of step, optimizer {optimizerShare:P1}; loss {steps[^1].Loss:F3}", agcShare, optimizerShare)
        {
            Engine = SpeedSettings.NameOf(BenchEngine.TorchSharp),
        };
    }

    private readonly record struct StepTimes(double TotalMs, double ClipMs, double UpdateMs, double Loss);

    private static StepTimes ResetThenStep(NFNetModel model, NFNetOptimizer optimizer, Tensor images, Tensor labels,
        Tensor[] parameters, Tensor[] initial, IntraOpThreadTuner? threads)
    {
        using (no_grad())
            for (var i = 0; i < parameters.Length; i++)
                parameters[i].copy_(initial[i]);
        using var scope = NewDisposeScope();
        using var timed = threads?.Run((int)images.shape[0]);
        var start = Stopwatch.GetTimestamp();
        optimizer.ZeroGrad();
        var loss = nn.functional.cross_entropy(model.forward(images), labels);
        loss.backward();
        var clipStart = Stopwatch.GetTimestamp();
        optimizer.ClipGradients();
        var updateStart = Stopwatch.GetTimestamp();
        optimizer.UpdateParameters();
        var end = Stopwatch.GetTimestamp();
        var value = loss.item<float>(); // after the clock: the step is done; reading it only checks it is finite
        if (!float.IsFinite(value))
            throw new InvalidOperationException($"The training step's loss is {value}.");
        return new StepTimes(Milliseconds(start, end), Milliseconds(clipStart, updateStart), Milliseconds(updateStart, end), value);
    }

    private static double Milliseconds(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
}
