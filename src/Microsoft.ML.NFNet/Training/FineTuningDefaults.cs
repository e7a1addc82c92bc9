
namespace Microsoft.ML.NFNet;

/// <summary>
/// The automatic settings for a network that starts from pretrained weights, chosen from the data. The values come from
/// the transfer-learning measurements in the README ("Transfer learning"; the benchmark app's <c>transfer --tune</c>):
/// fine-tune the whole network at one rate, a few hundred optimizer steps whatever the data size, gentler crops on
/// small images.
/// </summary>
internal static class FineTuningDefaults
{
    /// <summary>Peak SGD rate at batch 32. 0.03 and 0.1 measured alike on 10–100 images per class, 0.01 and 0.003 clearly
    /// worse; the smaller of the two good ones is the safer for large pretrained networks.</summary>
    public const double LearningRate = 0.03;

    /// <summary>Optimizer steps aimed for: with 10 or 25 images per class, 10 epochs are 20–40 steps and leave accuracy on
    /// the table (measured: 10 → 50 epochs took 10 images per class from 73 % to 78 %).</summary>
    public const int TargetSteps = 240;

    public const int MinimumEpochs = 10;
    public const int MaximumEpochs = 50;

    /// <summary>Images whose median side is at most this are "small" (thumbnails, 28×28 scans): crops keep more of them.</summary>
    public const int SmallImageSide = 64;

    /// <summary>The automatic epochs: about <see cref="TargetSteps"/> steps, <see cref="MinimumEpochs"/>–<see cref="MaximumEpochs"/>.</summary>
    public static int Epochs(DatasetProfile profile, int batchSize)
    {
        var stepsPerEpoch = StepsPerEpoch(profile, batchSize);
        return Math.Clamp((TargetSteps + stepsPerEpoch - 1) / stepsPerEpoch, MinimumEpochs, MaximumEpochs);
    }

    private static int StepsPerEpoch(DatasetProfile profile, int batchSize) =>
        Math.Max(1, (profile.ImageCount + batchSize - 1) / Math.Max(1, batchSize));

    public static NFNetTrainingOptions Apply(NFNetTrainingOptions options, DatasetProfile profile, NFNetConfig architecture,
        AutomaticChoices choices, int validationImages = 0)
    {
        var preprocessing = options.Preprocessing;
        var optimizer = options.Optimizer;
        var stepsPerEpoch = StepsPerEpoch(profile, options.BatchSize);
        var epochs = Epochs(profile, options.BatchSize);
        var chosenEpochs = options.Epochs ?? epochs;
        var small = Math.Min(profile.MedianWidth, profile.MedianHeight) <= SmallImageSide;
        return options with
        {
            Epochs = choices.Choose(options.Epochs, "Epochs", epochs,
                $"about {TargetSteps} steps of fine-tuning at {stepsPerEpoch} steps per epoch, {MinimumEpochs}–{MaximumEpochs} epochs"),
            EarlyStopping = EarlyStoppingDefaults.Apply(options.EarlyStopping, chosenEpochs, validationImages, choices),
            TrainableParts = choices.Choose(options.TrainableParts, "TrainableParts", NFNetTrainableParts.All,
                "fine-tune the whole network: the most accurate mode measured from 10 to 100 images per class"),
            BackboneLearningRateFactor = choices.Choose(options.BackboneLearningRateFactor,
                "BackboneLearningRateFactor", 1.0, "one rate for the whole network (0.1 for the backbone measured worse)"),
            Preprocessing = preprocessing with
            {
                ImageSize = choices.Choose(preprocessing.ImageSize, "ImageSize", Math.Max(architecture.TrainImageSize, architecture.MinimumImageSize),
                    $"the resolution {architecture.Name} was trained at"),
                CropScaleMin = choices.Choose(preprocessing.CropScaleMin, "CropScaleMin", small ? 0.35 : 0.08, small
                    ? $"random-resized crops of 35–100 % of images this small (median {profile.MedianWidth}×{profile.MedianHeight} px)"
                    : "random-resized crops of 8–100 % of the image, as timm fine-tunes"),
                HorizontalFlipProbability = choices.Choose(preprocessing.HorizontalFlipProbability,
                    "HorizontalFlipProbability", 0.5, "random mirroring"),
                MixUpAlpha = choices.Choose(preprocessing.MixUpAlpha, "MixUpAlpha", 0.0, "off"),
                CutMixAlpha = choices.Choose(preprocessing.CutMixAlpha, "CutMixAlpha", 0.0, "off"),
            },
            Optimizer = optimizer with
            {
                LearningRate = choices.Choose(optimizer.LearningRate, "LearningRate", LearningRate,
                    "peak SGD rate for fine-tuning pretrained weights"),
                ClippingFactor = choices.Choose(optimizer.ClippingFactor, "ClippingFactor", AdaptiveGradientClipping.DefaultClipFactor,
                    "DeepMind's λ, the value the fine-tuning measurements used"),
                WarmupEpochs = optimizer.WarmupSteps is null
                    ? choices.Choose(optimizer.WarmupEpochs, "WarmupEpochs", 1.0, "linear warm-up")
                    : optimizer.WarmupEpochs,
            },
        };
    }
}
