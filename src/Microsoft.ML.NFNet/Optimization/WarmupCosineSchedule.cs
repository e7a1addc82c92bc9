namespace Microsoft.ML.NFNet;

/// <summary>
/// The NFNet learning-rate schedule (DeepMind's <c>WarmupCosineDecay</c> with start and end value 0): a linear warm-up
/// from 0 to the peak over <see cref="WarmupSteps"/>, then a half cosine down to 0 at <see cref="TotalSteps"/>.
/// </summary>
/// <remarks>
/// Steps count the updates done before the one being made: the first update uses <c>LearningRateAt(0)</c> = 0 (its
/// momentum still accumulates), as in DeepMind's code. The warm-up may be fractional (5 epochs of 1,281,167 images at
/// batch 4096 is 1563.9 steps).
/// </remarks>
internal sealed class WarmupCosineSchedule
{
    /// <summary>The batch size the base learning rates refer to: lr = base · batch / 256.</summary>
    public const int ReferenceBatchSize = 256;

    /// <param name="peakLearningRate">The learning rate at the end of the warm-up.</param>
    /// <param name="warmupSteps">Length of the warm-up in steps (0 starts the cosine at the peak).</param>
    /// <param name="totalSteps">Steps of the whole training; the rate is 0 from here on.</param>
    public WarmupCosineSchedule(double peakLearningRate, double warmupSteps, long totalSteps)
    {
        if (!(peakLearningRate >= 0) || double.IsInfinity(peakLearningRate))
            throw new ArgumentOutOfRangeException(nameof(peakLearningRate), peakLearningRate, "The peak learning rate must be zero or positive.");
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        if (!(warmupSteps >= 0) || warmupSteps > totalSteps)
            throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps,
                $"The warm-up must last between 0 and the {totalSteps} steps of the training.");
        PeakLearningRate = peakLearningRate;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
    }

    /// <summary>The learning rate at the end of the warm-up.</summary>
    public double PeakLearningRate { get; }

    /// <summary>Length of the warm-up in steps.</summary>
    public double WarmupSteps { get; }

    /// <summary>Steps of the whole training.</summary>
    public long TotalSteps { get; }

    /// <summary>The learning rate of the update made after <paramref name="step"/> updates.</summary>
    public double LearningRateAt(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step >= TotalSteps)
            return 0;
        if (step < WarmupSteps)
            return PeakLearningRate * step / WarmupSteps;
        var progress = (step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return 0.5 * PeakLearningRate * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>The linear scaling rule: <paramref name="baseLearningRate"/> · <paramref name="batchSize"/> / 256
    /// (the NFNet recipe's 0.1 gives 1.6 at batch 4096).</summary>
    public static double BatchScaled(double baseLearningRate, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return baseLearningRate * batchSize / ReferenceBatchSize;
    }
}
