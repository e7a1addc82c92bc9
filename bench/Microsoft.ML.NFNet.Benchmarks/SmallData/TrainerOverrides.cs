using System.Globalization;
using Microsoft.ML.NFNet.Samples.Cli;

namespace Microsoft.ML.NFNet.Benchmarks.SmallData;

/// <summary>
/// "Name=Value" settings for the small-data benchmark, so that one run can compare a default with an explicit choice
/// (an explicit setting always wins over the automatic one). Names are the options' own property names.
/// </summary>
internal static class TrainerOverrides
{
    private delegate NFNetImageClassificationTrainer.Options Setter(NFNetImageClassificationTrainer.Options options, string value);

    private static readonly Dictionary<string, Setter> Setters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Architecture"] = (o, v) => With(o, () => o.Architecture = NFNetConfig.Variant(v)),
        ["WidthFactor"] = (o, v) => With(o, () => o.Architecture = BaseArchitecture(o) with { WidthFactor = Double(v) }),
        ["Depths"] = (o, v) => With(o, () => o.Architecture = BaseArchitecture(o) with { Depths = v.Split('-').Select(int.Parse).ToArray() }),
        ["DropRate"] = (o, v) => With(o, () => o.Architecture = BaseArchitecture(o) with { DropRate = Double(v) }),
        ["DropPathRate"] = (o, v) => With(o, () => o.Architecture = BaseArchitecture(o) with { DropPathRate = Double(v) }),
        ["ValidationSetFraction"] = (o, v) => With(o, () => o.ValidationSetFraction = Double(v)),
        ["Epochs"] = (o, v) => Training(o, t => t with { Epochs = int.Parse(v, CultureInfo.InvariantCulture) }),
        ["BatchSize"] = (o, v) => Training(o, t => t with { BatchSize = int.Parse(v, CultureInfo.InvariantCulture) }),
        ["LabelSmoothing"] = (o, v) => Training(o, t => t with { LabelSmoothing = Double(v) }),
        ["Seed"] = (o, v) => Training(o, t => t with { Seed = int.Parse(v, CultureInfo.InvariantCulture) }),
        ["MaxTrainingTime"] = (o, v) => Training(o, t => t with { MaxTrainingTime = Time(v) }),
        ["Patience"] = (o, v) => Training(o, t => t with
        {
            EarlyStopping = v == "0" ? null : (t.EarlyStopping ?? new()) with { Patience = int.Parse(v, CultureInfo.InvariantCulture) },
        }),
        ["EarlyStoppingMetric"] = (o, v) => Training(o, t => t with
        {
            EarlyStopping = (t.EarlyStopping ?? new()) with { Metric = Enum.Parse<EarlyStoppingMetric>(v, ignoreCase: true) },
        }),
        ["ImageSize"] = (o, v) => Preprocessing(o, p => p with { ImageSize = int.Parse(v, CultureInfo.InvariantCulture) }),
        ["EvalImageSize"] = (o, v) => Preprocessing(o, p => p with { EvalImageSize = int.Parse(v, CultureInfo.InvariantCulture) }),
        ["EvalCropFraction"] = (o, v) => Preprocessing(o, p => p with { EvalCropFraction = Double(v) }),
        ["RandomResizedCrop"] = (o, v) => Preprocessing(o, p => p with { RandomResizedCrop = bool.Parse(v) }),
        ["CropScaleMin"] = (o, v) => Preprocessing(o, p => p with { CropScaleMin = Double(v) }),
        ["CropRatioMin"] = (o, v) => Preprocessing(o, p => p with { CropRatioMin = Double(v), CropRatioMax = 1 / Double(v) }),
        ["HorizontalFlipProbability"] = (o, v) => Preprocessing(o, p => p with { HorizontalFlipProbability = Double(v) }),
        ["MixUpAlpha"] = (o, v) => Preprocessing(o, p => p with { MixUpAlpha = Double(v) }),
        ["CutMixAlpha"] = (o, v) => Preprocessing(o, p => p with { CutMixAlpha = Double(v) }),
        ["MixProbability"] = (o, v) => Preprocessing(o, p => p with { MixProbability = Double(v) }),
        ["Optimizer"] = (o, v) => Optimizer(o, p => p with { Optimizer = Enum.Parse<NFNetOptimizerKind>(v, ignoreCase: true) }),
        ["LearningRate"] = (o, v) => Optimizer(o, p => p with { LearningRate = Double(v) }),
        ["WarmupEpochs"] = (o, v) => Optimizer(o, p => p with { WarmupEpochs = Double(v) }),
        ["WeightDecay"] = (o, v) => Optimizer(o, p => p with { WeightDecay = Double(v) }),
        ["ClippingFactor"] = (o, v) => Optimizer(o, p => p with { ClippingFactor = Double(v) }),
        ["EmaDecay"] = (o, v) => Optimizer(o, p => p with { EmaDecay = Double(v) }),
    };

    public static IReadOnlyCollection<string> Names => Setters.Keys;

    /// <summary>Checks "Name=Value" (throws <see cref="FormatException"/> naming the known settings).</summary>
    public static (string Name, string Value) Parse(string text)
    {
        var parts = text.Split('=', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !Setters.ContainsKey(parts[0]))
            throw new FormatException($"'{text}' is not Name=Value with one of: {string.Join(", ", Setters.Keys)}.");
        // Applied once to a throw-away options object so a bad value fails before anything runs.
        try
        {
            Setters[parts[0]](new NFNetImageClassificationTrainer.Options(), parts[1]);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new FormatException($"'{text}': {e.Message}");
        }
        return (parts[0], parts[1]);
    }

    public static NFNetImageClassificationTrainer.Options Apply(NFNetImageClassificationTrainer.Options options,
        IEnumerable<(string Name, string Value)> settings)
    {
        foreach (var (name, value) in settings)
            options = Setters[name](options, value);
        return options;
    }

    private static NFNetConfig BaseArchitecture(NFNetImageClassificationTrainer.Options options) =>
        options.Architecture ?? NFNetConfig.Variant("nfnet_tiny");

    private static NFNetImageClassificationTrainer.Options With(NFNetImageClassificationTrainer.Options options, Action change)
    {
        change();
        return options;
    }

    private static NFNetImageClassificationTrainer.Options Training(NFNetImageClassificationTrainer.Options options,
        Func<NFNetTrainingOptions, NFNetTrainingOptions> change) => With(options, () => options.Training = change(options.Training));

    private static NFNetImageClassificationTrainer.Options Preprocessing(NFNetImageClassificationTrainer.Options options,
        Func<ImagePreprocessingOptions, ImagePreprocessingOptions> change) =>
        Training(options, t => t with { Preprocessing = change(t.Preprocessing) });

    private static NFNetImageClassificationTrainer.Options Optimizer(NFNetImageClassificationTrainer.Options options,
        Func<NFNetOptimizerOptions, NFNetOptimizerOptions> change) =>
        Training(options, t => t with { Optimizer = change(t.Optimizer) });

    private static double Double(string text) => ValueParsers.Double()(text);

    private static TimeSpan Time(string text) => text.Contains(':')
        ? TimeSpan.Parse(text, CultureInfo.InvariantCulture)
        : TimeSpan.FromSeconds(Double(text));
}
