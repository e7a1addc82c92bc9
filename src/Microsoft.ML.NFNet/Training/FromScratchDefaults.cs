using Microsoft.ML.NFNet.Modeling;

namespace Microsoft.ML.NFNet.Training;

/// <summary>The automatic settings for a network trained from random weights, chosen from the data.</summary>
internal static class FromScratchDefaults
{
    public static NFNetTrainingOptions Apply(NFNetTrainingOptions options, DatasetProfile profile, NFNetConfig architecture,
        AutomaticChoices choices)
    {
        var preprocessing = options.Preprocessing;
        var optimizer = options.Optimizer;
        return options with
        {
            Epochs = choices.Choose(options.Epochs, "Epochs", 20, "default"),
            Preprocessing = preprocessing with
            {
                ImageSize = choices.Choose(preprocessing.ImageSize, "ImageSize", Math.Max(128, architecture.MinimumImageSize),
                    "default resolution"),
                CropScaleMin = choices.Choose(preprocessing.CropScaleMin, "CropScaleMin", 0.08,
                    "random-resized crops of 8–100 % of the image"),
                HorizontalFlipProbability = choices.Choose(preprocessing.HorizontalFlipProbability,
                    "HorizontalFlipProbability", 0.5, "random mirroring"),
                MixUpAlpha = choices.Choose(preprocessing.MixUpAlpha, "MixUpAlpha", 0.0, "off"),
                CutMixAlpha = choices.Choose(preprocessing.CutMixAlpha, "CutMixAlpha", 0.0, "off"),
            },
            Optimizer = optimizer with
            {
                LearningRate = choices.Choose(optimizer.LearningRate, "LearningRate", 0.1,
                    "peak SGD rate that trains small data sets quickly under AGC"),
                WarmupEpochs = optimizer.WarmupSteps is null
                    ? choices.Choose(optimizer.WarmupEpochs, "WarmupEpochs", 1.0, "linear warm-up")
                    : optimizer.WarmupEpochs,
            },
        };
    }
}
