using Microsoft.ML.NFNet.Modeling;
using Microsoft.ML.NFNet.Preprocessing;

namespace Microsoft.ML.NFNet.Training;

/// <summary>
/// Fills the settings left null ("automatic") from what the data scan saw, and says why: the one place that decides
/// defaults which depend on the data. A setting the user gave is never changed.
/// </summary>
internal static class AutomaticSettings
{
    public static (NFNetTrainingOptions Options, IReadOnlyList<string> Choices) Resolve(
        NFNetTrainingOptions options, DatasetProfile profile, NFNetConfig architecture)
    {
        var choices = new List<string>();
        T Choose<T>(T? given, string name, T value, string why) where T : struct
        {
            if (given is { } set)
                return set;
            choices.Add($"{name} = {value} ({why})");
            return value;
        }

        var preprocessing = options.Preprocessing;
        var imageSize = Choose(preprocessing.ImageSize, "ImageSize", Math.Max(128, architecture.MinimumImageSize), "default resolution");
        var resolvedPreprocessing = preprocessing with
        {
            ImageSize = imageSize,
            CropScaleMin = Choose(preprocessing.CropScaleMin, "CropScaleMin", 0.08, "random-resized crops of 8–100 % of the image"),
            HorizontalFlipProbability = Choose(preprocessing.HorizontalFlipProbability, "HorizontalFlipProbability", 0.5, "random mirroring"),
            MixUpAlpha = Choose(preprocessing.MixUpAlpha, "MixUpAlpha", 0.0, "off"),
            CutMixAlpha = Choose(preprocessing.CutMixAlpha, "CutMixAlpha", 0.0, "off"),
        };
        var optimizer = options.Optimizer;
        var resolvedOptimizer = optimizer with
        {
            LearningRate = Choose(optimizer.LearningRate, "LearningRate", 0.1, "peak SGD rate that trains small data sets quickly under AGC"),
            WarmupEpochs = optimizer.WarmupSteps is null
                ? Choose(optimizer.WarmupEpochs, "WarmupEpochs", 1.0, "linear warm-up")
                : optimizer.WarmupEpochs,
        };
        var resolved = options with
        {
            Epochs = Choose(options.Epochs, "Epochs", 20, "default"),
            Preprocessing = resolvedPreprocessing,
            Optimizer = resolvedOptimizer,
        };
        CheckImageSize(imageSize, architecture);
        return (resolved, choices);
    }

    /// <summary>An image smaller than the network's total stride collapses to nothing before the head.</summary>
    public static void CheckImageSize(int? imageSize, NFNetConfig architecture)
    {
        if (imageSize is not { } size)
            return;
        new OptionCheck(nameof(ImagePreprocessingOptions)).That(size >= architecture.MinimumImageSize,
            nameof(ImagePreprocessingOptions.ImageSize), size,
            $"must be at least {architecture.MinimumImageSize} pixels (the total stride of {architecture.Name})");
    }
}
