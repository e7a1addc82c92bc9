using System.Diagnostics;
using static TorchSharp.torch;

namespace Microsoft.ML.NFNet;

/// <summary>
/// Measures <see cref="StepCosts"/> on the model itself before training: one untimed and one timed whole-network
/// training step (forward, loss, backward; no update, so no weight changes), then the same for a forward pass without
/// gradients, on a small batch of random images. Seconds on a CPU; the training's own time budget re-measures real
/// steps afterwards.
/// </summary>
internal static class StepCostProbe
{
    /// <summary>Images of the probe's batch: enough to use the cores, few enough to take seconds on large networks.</summary>
    public const int BatchSize = 8;

    public static StepCosts Measure(NFNetModel model, int imageSize, Device device)
    {
        var wasTraining = model.training;
        try
        {
            using var scope = NewDisposeScope();
            using var images = randn(BatchSize, 3, imageSize, imageSize, device: device);
            model.train();
            var train = TimeSecond(() =>
            {
                using var inner = NewDisposeScope();
                model.forward(images).logsumexp(1).mean().backward();
            });
            model.zero_grad(set_to_none: true); // frozen parameters must not keep a gradient
            model.eval();
            var forward = TimeSecond(() =>
            {
                using var inner = NewDisposeScope();
                using var _ = no_grad();
                model.forward(images);
            });
            return new StepCosts(imageSize, train / BatchSize, forward / BatchSize);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    // The first run allocates and warms kernels up; the second is timed.
    private static double TimeSecond(Action run)
    {
        run();
        var clock = Stopwatch.StartNew();
        run();
        return clock.Elapsed.TotalSeconds;
    }
}
