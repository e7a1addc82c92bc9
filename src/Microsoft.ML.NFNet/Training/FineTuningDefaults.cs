
namespace Microsoft.ML.NFNet;

/// <summary>
/// The automatic settings for a network that starts from pretrained weights, chosen from the data. The values come from
/// the transfer-learning measurements in docs/transfer-learning.md (the benchmark app's <c>transfer --tune</c>): the
/// whole network trains with the from-scratch optimization recipe (peak rate, AGC's λ for the batch, crops for the image
/// size, warm-up share), for fewer steps than from scratch once there are more than a few dozen images per class.
/// </summary>
internal static class FineTuningDefaults
{
    /// <summary>Optimizer steps aimed for (measured on 10–100 images per class: 240 steps at a peak rate of 0.03 lost
    /// 2–5 points to 600 at 0.1; with 10 or 25 images per class the epoch cap binds first).</summary>
    public const int TargetSteps = 600;

    public const int MinimumEpochs = 10;

    /// <summary>The most automatic epochs: from-scratch training's cap (150 epochs of 10 images per class are 300 steps).</summary>
    public const int MaximumEpochs = FromScratchDefaults.MaxEpochs;

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
        var side = Math.Max(1, Math.Min(profile.MedianWidth, profile.MedianHeight));
        var batchSize = Math.Min(options.BatchSize, Math.Max(1, profile.ImageCount));
        // The optimization recipe is from-scratch training's: measured better than a gentler one from pretrained weights
        // too, because AGC bounds every update relative to the weights it changes.
        var (cropScale, cropWhy) = FromScratchDefaults.CropScaleMin(side);
        var (learningRate, rateWhy) = FromScratchDefaults.LearningRate(batchSize, optimizer.ScaleLearningRateWithBatchSize);
        var (clipping, clippingWhy) = FromScratchDefaults.ClippingFactor(batchSize);
        var (warmup, warmupWhy) = FromScratchDefaults.WarmupEpochs(chosenEpochs);
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
                CropScaleMin = choices.Choose(preprocessing.CropScaleMin, "CropScaleMin", cropScale, cropWhy),
                HorizontalFlipProbability = choices.Choose(preprocessing.HorizontalFlipProbability,
                    "HorizontalFlipProbability", 0.5, "random mirroring"),
                MixUpAlpha = choices.Choose(preprocessing.MixUpAlpha, "MixUpAlpha", 0.0, "off"),
                CutMixAlpha = choices.Choose(preprocessing.CutMixAlpha, "CutMixAlpha", 0.0, "off"),
            },
            Optimizer = optimizer with
            {
                LearningRate = choices.Choose(optimizer.LearningRate, "LearningRate", learningRate, rateWhy),
                ClippingFactor = choices.Choose(optimizer.ClippingFactor, "ClippingFactor", clipping, clippingWhy),
                WarmupEpochs = optimizer.WarmupSteps is null
                    ? choices.Choose(optimizer.WarmupEpochs, "WarmupEpochs", warmup, warmupWhy)
                    : optimizer.WarmupEpochs,
            },
        };
    }
}
