
namespace Microsoft.ML.NFNet;

/// <summary>
/// The automatic <see cref="NFNetTrainingOptions.MicroBatchSize"/>: on a CPU, whole-network (or last-stage) steps on large
/// images run in micro-batches of <see cref="Size"/> (the same step, NFNets having no batch normalization).
/// Whole-network steps of eca_nfnet_l0, batch 32, on a 2-core CPU (docs/transfer-learning.md): at 224 px micro-batches of 8 peaked at 1.8–1.9 GB instead of
/// 3.7–3.8 GB and took 8.7–8.9 s per step instead of about 25–30 s (two runs); at 176 px 1.4 GB instead of 2.8 GB and
/// 7.0 s instead of 8.0 s; at 128 px 1.1 GB instead of 1.9 GB but 3.9 s instead of 3.3 s, so smaller images keep the
/// whole batch. A GPU keeps the whole batch (its memory and its kernels are another matter; not measured).
/// </summary>
internal static class MicroBatchDefaults
{
    /// <summary>Images per micro-batch: also the size the step-cost probe times.</summary>
    public const int Size = StepCostProbe.BatchSize;

    /// <summary>The smallest training image size (pixels per side) at which a CPU uses micro-batches: the smallest measured
    /// size where they were faster as well as smaller.</summary>
    public const int MinimumImageSize = 176;

    /// <summary>The options with MicroBatchSize chosen where it is automatic (null) and the rule applies.</summary>
    public static NFNetTrainingOptions Apply(NFNetTrainingOptions options, bool onCpu, AutomaticChoices choices)
    {
        // Head-only training keeps no activations of the frozen backbone: nothing to save there.
        if (options.MicroBatchSize is not null || !onCpu || options.BatchSize <= Size || options.TrainableParts is NFNetTrainableParts.Head
            || options.Preprocessing.ImageSize is not (>= MinimumImageSize and var size))
            return options;
        return options with
        {
            MicroBatchSize = choices.Choose(options.MicroBatchSize, nameof(NFNetTrainingOptions.MicroBatchSize), Size,
                $"steps on {size} px images run {Size} images at a time on a CPU: the same steps in about half the memory, " +
                "and faster on the CPUs measured; set MicroBatchSize to the batch size to keep whole batches"),
        };
    }
}
