
namespace Microsoft.ML.NFNet;

/// <summary>The validation metric that early stopping and best-model selection watch.</summary>
public enum EarlyStoppingMetric
{
    /// <summary>Validation cross-entropy (lower is better).</summary>
    Loss,
    /// <summary>Validation accuracy (higher is better).</summary>
    Accuracy,
}

/// <summary>Stops training when the validation metric has not improved for <see cref="Patience"/> epochs.</summary>
public sealed record EarlyStoppingOptions
{
    /// <summary>The watched metric.</summary>
    public EarlyStoppingMetric Metric { get; set; } = EarlyStoppingMetric.Loss;

    /// <summary>Epochs without improvement before stopping.</summary>
    /// <remarks>Null (default): automatic, half of the epochs and at least <see cref="MinimumPatience"/>. Under the
    /// cosine schedule the validation loss is noisy while the learning rate is high and improves most in the last
    /// epochs, so a short patience stops runs long before their best epoch.</remarks>
    public int? Patience { get; set; }

    /// <summary>The smallest automatic patience, and the patience used where no rule chose one.</summary>
    public const int MinimumPatience = 5;

    /// <summary>The patience in effect.</summary>
    internal int ResolvedPatience => Patience ?? MinimumPatience;

    /// <summary>Smallest change that counts as an improvement.</summary>
    public double MinDelta { get; set; } = 1e-4;

    /// <summary>At the end, put back the weights of the best epoch rather than keep the last.</summary>
    /// <remarks>Null (default): automatic: true when the validation set has at least
    /// <see cref="MinimumValidationImagesToSelect"/> images. On a smaller one the best of many epochs is mostly the
    /// luckiest, and the last epoch (the end of the cosine schedule) scores better on new images.</remarks>
    public bool? RestoreBestWeights { get; set; }

    /// <summary>The smallest validation set on which the automatic choice restores the best epoch.</summary>
    public const int MinimumValidationImagesToSelect = 1000;

    /// <summary>Whether the best epoch is restored (true where no rule chose).</summary>
    internal bool RestoresBestWeights => RestoreBestWeights ?? true;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for out-of-range values.</summary>
    public void Validate()
    {
        var check = new OptionCheck(nameof(EarlyStoppingOptions));
        if (Patience is { } patience)
            check.AtLeast(patience, 1, nameof(Patience));
        check.NonNegative(MinDelta, nameof(MinDelta));
        check.Defined(Metric, nameof(Metric));
    }

    internal bool IsImprovement(double candidate, double best) => Metric == EarlyStoppingMetric.Loss
        ? candidate < best - MinDelta
        : candidate > best + MinDelta;
}
