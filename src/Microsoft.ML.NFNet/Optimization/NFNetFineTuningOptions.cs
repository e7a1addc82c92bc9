
namespace Microsoft.ML.NFNet;

/// <summary>
/// How a network that starts from pretrained weights is fine-tuned: which parts train, and a separate learning-rate
/// factor for the pretrained part. Frozen parts stay in eval mode (no dropout or stochastic depth), have
/// <c>requires_grad</c> off and get no optimizer state (no momentum, no EMA, no AGC).
/// </summary>
/// <remarks>Settings left null are automatic: chosen when training starts from what the data looks like (logged and
/// saved with the model); see the README's "Transfer learning" section for the rules and the measurements behind them.</remarks>
public sealed record NFNetFineTuningOptions
{
    private static readonly OptionCheck Check = new(nameof(NFNetFineTuningOptions));

    /// <summary>What trains. Null (default): automatic.</summary>
    public NFNetTrainableParts? TrainableParts { get; init; }

    /// <summary>With <see cref="NFNetTrainableParts.LastStages"/>: how many of the last stages train (default 1; at most
    /// the architecture's stage count).</summary>
    public int LastStageCount { get; init; } = 1;

    /// <summary>
    /// The learning rate of the trained pretrained parameters (everything but the classifier) as a fraction of the
    /// scheduled rate, which the new classifier gets, in (0, 1]; lower values keep the pretrained features closer to
    /// where they were. Null (default): automatic. Has no effect when only the head trains.
    /// </summary>
    public double? BackboneLearningRateFactor { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (TrainableParts is { } parts)
            Check.Defined(parts, nameof(TrainableParts));
        Check.AtLeast(LastStageCount, 1, nameof(LastStageCount));
        if (BackboneLearningRateFactor is { } factor)
            Check.That(double.IsFinite(factor) && factor > 0 && factor <= 1, nameof(BackboneLearningRateFactor), factor,
                "must be in (0, 1]");
    }

    /// <summary>A short description for logs and checkpoints, e.g. <c>LastStages(2)</c>.</summary>
    internal string Describe() => TrainableParts == NFNetTrainableParts.LastStages
        ? $"LastStages({LastStageCount})"
        : (TrainableParts ?? NFNetTrainableParts.All).ToString();
}
