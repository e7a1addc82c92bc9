
namespace Microsoft.ML.NFNet;

/// <summary>How a model saved by the ML.NET trainer was trained: saved with it, so a model explains itself.</summary>
/// <param name="AutomaticChoices">The settings the trainer chose from the data, and why (as logged).</param>
/// <param name="Data">What the training data looked like.</param>
/// <param name="EpochsCompleted">Epochs trained.</param>
/// <param name="SelectedEpoch">The epoch whose weights the model holds.</param>
/// <param name="SkippedImages">Images left out because they could not be decoded.</param>
/// <param name="DroppedRows">Rows left out because their label was missing.</param>
public sealed record NFNetTrainingSummary(IReadOnlyList<string> AutomaticChoices, DatasetProfile? Data, int EpochsCompleted,
    int SelectedEpoch, int SkippedImages, int DroppedRows);
