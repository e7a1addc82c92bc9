using Microsoft.ML.NFNet.Modeling;

namespace Microsoft.ML.NFNet.Training;

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
    public EarlyStoppingMetric Metric { get; init; } = EarlyStoppingMetric.Loss;

    /// <summary>Epochs without improvement before stopping.</summary>
    public int Patience { get; init; } = 5;

    /// <summary>Smallest change that counts as an improvement.</summary>
    public double MinDelta { get; init; } = 1e-4;

    /// <summary>At the end, put back the weights of the best epoch (recommended) rather than keep the last.</summary>
    public bool RestoreBestWeights { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for out-of-range values.</summary>
    public void Validate()
    {
        var check = new OptionCheck(nameof(EarlyStoppingOptions));
        check.AtLeast(Patience, 1, nameof(Patience));
        check.NonNegative(MinDelta, nameof(MinDelta));
        check.Defined(Metric, nameof(Metric));
    }

    internal bool IsImprovement(double candidate, double best) => Metric == EarlyStoppingMetric.Loss
        ? candidate < best - MinDelta
        : candidate > best + MinDelta;
}
