using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Training;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>Reads the training options shared by the default sample and <c>train</c>.</summary>
internal static class TrainingOptions
{
    public static TrainingSettings Read(CommandArguments args, TrainingSettings defaults)
    {
        var settings = new TrainingSettings(
            args.String("arch", defaults.Architecture),
            args.Int("epochs", defaults.Epochs),
            args.Int("image-size", defaults.ImageSize),
            args.Int("batch-size", defaults.BatchSize),
            args.Int("seed", defaults.Seed),
            args.Has("learning-rate") ? args.Double("learning-rate", 0) : defaults.LearningRate,
            defaults.CropScaleMin);
        settings.Validate();
        return settings;
    }
}
