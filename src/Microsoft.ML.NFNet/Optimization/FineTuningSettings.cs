namespace Microsoft.ML.NFNet;

/// <summary>What trains and at which rate: <see cref="NFNetTrainingOptions.TrainableParts"/>,
/// <see cref="NFNetTrainingOptions.TrainableLastStages"/> and <see cref="NFNetTrainingOptions.BackboneLearningRateFactor"/>
/// as the optimizer and the freezing of parameters see them.</summary>
internal sealed record FineTuningSettings(NFNetTrainableParts TrainableParts, int LastStageCount, double BackboneLearningRateFactor)
{
    /// <summary>Everything trains at one rate.</summary>
    public static FineTuningSettings Everything { get; } = new(NFNetTrainableParts.All, 1, 1.0);

    /// <summary>A short description for logs and checkpoints, e.g. <c>LastStages(2)</c>.</summary>
    public string Describe() => TrainableParts == NFNetTrainableParts.LastStages
        ? $"LastStages({LastStageCount})"
        : TrainableParts.ToString();
}
