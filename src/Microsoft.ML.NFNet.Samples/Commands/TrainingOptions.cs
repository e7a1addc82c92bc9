using System.CommandLine;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Training;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>
/// The training options shared by the default sample and <c>train</c> (--arch --epochs --image-size --batch-size
/// --learning-rate --seed), defaulting to <see cref="TrainingSettings.Defaults"/>. The parser checks every value with
/// <see cref="TrainingSettings.Validate"/>, the one place that knows the allowed ranges, so a bad value is rejected
/// with the option's name before anything runs.
/// </summary>
internal sealed class TrainingOptions
{
    private static readonly TrainingSettings Defaults = TrainingSettings.Defaults;

    private readonly Option<string> architecture = CliOptions.Single("--arch",
        "NFNet variant: nfnet_tiny (small, CPU-friendly), F0 ... F7 (= dm_nfnet_f0 ...), nfnet_f0 ..., nfnet_l0, eca_nfnet_l0 ... l3",
        Checked(text => text.Trim(), value => Defaults with { Architecture = value }), "name", () => Defaults.Architecture);
    private readonly Option<int?> epochs = CliOptions.Single("--epochs",
        "Passes over the training images [default: automatic: more for smaller data sets]",
        Checked<int?>(text => ValueParsers.Int()(text), value => Defaults with { Epochs = value }), "n");
    private readonly Option<int?> imageSize = CliOptions.Single("--image-size",
        "Training resolution in pixels, 32 to 1024 (NFNet's F0 trains at 192) [default: automatic: from the images' size]",
        Checked<int?>(text => ValueParsers.Int()(text), value => Defaults with { ImageSize = value }), "px");
    private readonly Option<int> batchSize = CliOptions.Single("--batch-size", "Images per optimizer step",
        Checked(ValueParsers.Int(), value => Defaults with { BatchSize = value }), "n", () => Defaults.BatchSize);
    private readonly Option<double?> learningRate = CliOptions.Single("--learning-rate",
        "Peak SGD learning rate, in (0, 10] [default: automatic: 0.1 at batch 32 and up, less for smaller batches]",
        Checked<double?>(text => ValueParsers.Double()(text), value => Defaults with { LearningRate = value }), "rate");
    private readonly Option<int> seed = CliOptions.Single("--seed", "Random seed (split, initialization, augmentation, shuffling)",
        Checked(ValueParsers.Int(), value => Defaults with { Seed = value }), "n", () => Defaults.Seed);

    /// <summary>The required <c>--model</c> option of predict and evaluate.</summary>
    public static Option<string> Model()
    {
        var option = CliOptions.Single("--model", "ML.NET model zip saved by the sample or by train", ValueParsers.ExistingFile, "model.zip");
        option.Required = true;
        return option;
    }

    public void AddTo(System.CommandLine.Command command)
    {
        foreach (var option in new Option[] { architecture, epochs, imageSize, batchSize, learningRate, seed })
            command.Options.Add(option);
    }

    public TrainingSettings Read(ParseResult result) => new(result.GetValue(architecture)!, result.GetValue(epochs),
        result.GetValue(imageSize), result.GetValue(batchSize), result.GetValue(seed), result.GetValue(learningRate));

    // The defaults with one value changed are valid exactly when that value is, and Validate's message names the option.
    private static Func<string, T> Checked<T>(Func<string, T> parse, Func<T, TrainingSettings> withValue) => text =>
    {
        var value = parse(text);
        withValue(value).Validate();
        return value;
    };
}
