using System.Text.Json.Serialization;

namespace Microsoft.ML.NFNet;

/// <summary>
/// What a training run did: returned by <see cref="NFNetTrainingEngine.Train"/>, and saved with a model trained by the
/// ML.NET trainer (<c>NFNetModelParameters.Training</c>), so a model explains itself. <see cref="History"/> and
/// <see cref="Settings"/> are not saved with a model.
/// </summary>
public sealed record NFNetTrainingResult
{
    /// <summary>The settings the trainer or engine chose from the data, and why (one line each, as logged).</summary>
    public IReadOnlyList<string> AutomaticChoices { get; init; } = [];

    /// <summary>What the training data looked like.</summary>
    public DatasetProfile? Data { get; init; }

    /// <summary>Epochs completed (including epochs done before a resume).</summary>
    public int EpochsCompleted { get; init; }

    /// <summary>The epoch whose weights the model holds at the end (1-based; the best one when early stopping restored it).</summary>
    public int SelectedEpoch { get; init; }

    /// <summary>Whether early stopping ended the run before the last epoch.</summary>
    public bool StoppedEarly { get; init; }

    /// <summary>Whether <see cref="NFNetTrainingOptions.MaxTrainingTime"/> shortened the run (fewer steps than the
    /// epochs asked for).</summary>
    public bool StoppedByTimeBudget { get; init; }

    /// <summary>Images left out because they could not be decoded (training and validation).</summary>
    public int SkippedImages { get; init; }

    /// <summary>Rows the ML.NET trainer left out because their label was missing (0 for the engine, which reads labels
    /// from an <see cref="ImageDataSource"/>).</summary>
    public int DroppedRows { get; init; }

    /// <summary>The epoch reports, in order (including epochs done before a resume). Not saved with a model.</summary>
    [JsonIgnore]
    public IReadOnlyList<TrainingMetrics> History { get; init; } = [];

    /// <summary>The settings the run used: the options given, with every automatic setting filled in. Not saved with
    /// a model (the automatic choices are).</summary>
    [JsonIgnore]
    public NFNetTrainingOptions? Settings { get; init; }
}
