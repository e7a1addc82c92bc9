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

    /// <summary>Whether <see cref="NFNetTrainingOptions.MaxTrainingTime"/> shortened the run (fewer steps than the
    /// epochs asked for).</summary>
    public bool StoppedByTimeBudget { get; init; }

    /// <summary>Images left out because they could not be decoded (training and validation).</summary>
    public required int SkippedImages { get; init; }

    /// <summary>The settings the run used: the options given, with every automatic setting filled in.</summary>
    public NFNetTrainingOptions? Settings { get; init; }

    /// <summary>The automatic choices and why they were made (one line each, as logged).</summary>
    public IReadOnlyList<string> AutomaticChoices { get; init; } = [];

    /// <summary>What the training data looked like.</summary>
    public DatasetProfile? Profile { get; init; }
}
