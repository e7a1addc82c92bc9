using System.CommandLine;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Training;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>
/// The training options shared by the default sample and <c>train</c> (--arch --epochs --image-size --batch-size
/// --learning-rate --seed), each with the command's own default. The parser checks every value with
/// <see cref="TrainingSettings.Validate"/>, the one place that knows the allowed ranges, so a bad value is rejected
/// with the option's name before anything runs.
/// </summary>
internal sealed class TrainingOptions
{
    private readonly TrainingSettings defaults;

    /// <param name="defaults">The command's defaults (shown by --help).</param>
    /// <param name="learningRateHelp">What --learning-rate does when omitted, for commands without a fixed default.</param>
    public TrainingOptions(TrainingSettings defaults, string? learningRateHelp = null)
    {
        this.defaults = defaults;
        Architecture = CliOptions.Single("--arch",
            "NFNet variant: nfnet_tiny (small, CPU-friendly), F0 ... F7 (= dm_nfnet_f0 ...), nfnet_f0 ..., nfnet_l0, eca_nfnet_l0 ... l3",
            Checked(text => text.Trim(), value => defaults with { Architecture = value }), "name", () => defaults.Architecture);
        Epochs = Automatic("--epochs", "Passes over the training images",
            Checked<int?>(text => ValueParsers.Int()(text), value => defaults with { Epochs = value }), "n", defaults.Epochs,
            "automatic: more for smaller data sets");
        ImageSize = Automatic("--image-size", "Training resolution in pixels, 32 to 1024 (NFNet's F0 trains at 192)",
            Checked<int?>(text => ValueParsers.Int()(text), value => defaults with { ImageSize = value }), "px", defaults.ImageSize,
            "automatic: from the images' size");
        BatchSize = CliOptions.Single("--batch-size", "Images per optimizer step",
            Checked(ValueParsers.Int(), value => defaults with { BatchSize = value }), "n", () => defaults.BatchSize);
        var learningRate = Checked<double?>(text => ValueParsers.Double()(text), value => defaults with { LearningRate = value });
        LearningRate = defaults.LearningRate is { } rate
            ? CliOptions.Single("--learning-rate", "Peak SGD learning rate, in (0, 10]", learningRate, "rate", () => rate)
            : CliOptions.Single("--learning-rate", $"Peak SGD learning rate, in (0, 10] [default: {learningRateHelp}]", learningRate, "rate");
        Seed = CliOptions.Single("--seed", "Random seed (split, initialization, augmentation, shuffling)",
            Checked(ValueParsers.Int(), value => defaults with { Seed = value }), "n", () => defaults.Seed);
    }

    public Option<string> Architecture { get; }
    public Option<int?> Epochs { get; }
    public Option<int?> ImageSize { get; }
    public Option<int> BatchSize { get; }
    public Option<double?> LearningRate { get; }
    public Option<int> Seed { get; }

    public void AddTo(System.CommandLine.Command command)
    {
        foreach (var option in new Option[] { Architecture, Epochs, ImageSize, BatchSize, LearningRate, Seed })
            command.Options.Add(option);
    }

    public TrainingSettings Read(ParseResult result) => defaults with
    {
        Architecture = result.GetValue(Architecture)!,
        Epochs = result.GetValue(Epochs),
        ImageSize = result.GetValue(ImageSize),
        BatchSize = result.GetValue(BatchSize),
        LearningRate = result.GetValue(LearningRate),
        Seed = result.GetValue(Seed),
    };

    // An option whose default may be "automatic" (null): help then says what the trainer does instead.
    private static Option<T?> Automatic<T>(string name, string description, Func<string, T?> parse, string helpName, T? defaultValue,
        string automaticHelp) where T : struct => defaultValue is { } value
        ? CliOptions.Single(name, description, parse, helpName, () => value)
        : CliOptions.Single(name, $"{description} [default: {automaticHelp}]", parse, helpName);

    // The defaults with one value changed are valid exactly when that value is, and Validate's message names the option.
    private static Func<string, T> Checked<T>(Func<string, T> parse, Func<T, TrainingSettings> withValue) => text =>
    {
        var value = parse(text);
        withValue(value).Validate();
        return value;
    };
}
