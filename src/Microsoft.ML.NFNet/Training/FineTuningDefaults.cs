using Microsoft.ML.NFNet.Modeling;
using Microsoft.ML.NFNet.Optimization;

namespace Microsoft.ML.NFNet.Training;

/// <summary>
/// The automatic settings for a network that starts from pretrained weights, chosen from the data. The values come from
/// the transfer-learning measurements in the README ("Transfer learning"): a pretrained backbone needs a much smaller
/// learning rate than a random one, little warm-up, and fewer epochs.
/// </summary>
internal static class FineTuningDefaults
{
    public static NFNetTrainingOptions Apply(NFNetTrainingOptions options, DatasetProfile profile, NFNetConfig architecture,
        AutomaticChoices choices)
    {
        var preprocessing = options.Preprocessing;
        var optimizer = options.Optimizer;
        var fineTuning = options.FineTuning ?? new NFNetFineTuningOptions();
        return options with
        {
            Epochs = choices.Choose(options.Epochs, "Epochs", 10, "fine-tuning a pretrained network"),
            FineTuning = fineTuning with
            {
                TrainableParts = choices.Choose(fineTuning.TrainableParts, "FineTuning.TrainableParts", NFNetTrainableParts.All,
                    "fine-tune the whole network"),
                BackboneLearningRateFactor = choices.Choose(fineTuning.BackboneLearningRateFactor,
                    "FineTuning.BackboneLearningRateFactor", 1.0, "one rate for the whole network"),
            },
            Preprocessing = preprocessing with
            {
                ImageSize = choices.Choose(preprocessing.ImageSize, "ImageSize", Math.Max(architecture.TrainImageSize, architecture.MinimumImageSize),
                    $"the resolution {architecture.Name} was trained at"),
                CropScaleMin = choices.Choose(preprocessing.CropScaleMin, "CropScaleMin", 0.08,
                    "random-resized crops of 8–100 % of the image"),
                HorizontalFlipProbability = choices.Choose(preprocessing.HorizontalFlipProbability,
                    "HorizontalFlipProbability", 0.5, "random mirroring"),
                MixUpAlpha = choices.Choose(preprocessing.MixUpAlpha, "MixUpAlpha", 0.0, "off"),
                CutMixAlpha = choices.Choose(preprocessing.CutMixAlpha, "CutMixAlpha", 0.0, "off"),
            },
            Optimizer = optimizer with
            {
                LearningRate = choices.Choose(optimizer.LearningRate, "LearningRate", 0.01,
                    "peak SGD rate for fine-tuning pretrained weights"),
                WarmupEpochs = optimizer.WarmupSteps is null
                    ? choices.Choose(optimizer.WarmupEpochs, "WarmupEpochs", 1.0, "linear warm-up")
                    : optimizer.WarmupEpochs,
            },
        };
    }
}
