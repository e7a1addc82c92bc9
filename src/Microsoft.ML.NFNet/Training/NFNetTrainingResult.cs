namespace Microsoft.ML.NFNet;

/// <summary>What a training run did.</summary>
public sealed record NFNetTrainingResult
{
    /// <summary>The epoch reports, in order (including epochs done before a resume).</summary>
    public required IReadOnlyList<TrainingMetrics> History { get; init; }

    /// <summary>Epochs completed.</summary>
    public int EpochsCompleted => History.Count;

    /// <summary>The epoch whose weights the model holds at the end (1-based; the best one when early stopping restored it).</summary>
    public required int SelectedEpoch { get; init; }

    /// <summary>Whether early stopping ended the run before the last epoch.</summary>
    public required bool StoppedEarly { get; init; }

    /// <summary>Images skipped because they could not be decoded.</summary>
    public required int SkippedImages { get; init; }
}
