
namespace Microsoft.ML.NFNet;

/// <summary>
/// Fills the settings left null ("automatic") from what the data scan saw, and says why: the one place that decides
/// defaults which depend on the data. A setting the user gave is never changed. The rules themselves are in
/// <see cref="FromScratchDefaults"/> (random initial weights) and, when the model starts from pretrained weights, in the
/// fine-tuning defaults.
/// </summary>
internal static class AutomaticSettings
{
    /// <param name="options">The options as given.</param>
    /// <param name="profile">What the data scan saw.</param>
    /// <param name="architecture">The network.</param>
    /// <param name="fromPretrained">Whether the model starts from pretrained weights (fine-tuning defaults) or from
    /// random weights (from-scratch defaults).</param>
    /// <param name="validationImages">Images validated after each epoch (0: none).</param>
    public static (NFNetTrainingOptions Options, IReadOnlyList<string> Choices) Resolve(
        NFNetTrainingOptions options, DatasetProfile profile, NFNetConfig architecture, bool fromPretrained = false, int validationImages = 0)
    {
        var choices = new AutomaticChoices();
        var resolved = fromPretrained
            ? FineTuningDefaults.Apply(options, profile, architecture, choices, validationImages)
            : FromScratchDefaults.Apply(options, profile, architecture, choices, validationImages);
        CheckImageSize(resolved.Preprocessing.ImageSize, architecture);
        // Saved with the model: the values it scores with, not "null".
        resolved = resolved with { Preprocessing = resolved.Preprocessing.WithEvaluationDefaults() };
        return (resolved, choices.Lines);
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

/// <summary>The automatic choices of one run, one line each: "Name = value (why)".</summary>
internal sealed class AutomaticChoices
{
    private readonly List<string> lines = [];

    public IReadOnlyList<string> Lines => lines;

    /// <summary>Records a choice made elsewhere ("Name = value (why)").</summary>
    public void Add(string line) => lines.Add(line);

    /// <summary><paramref name="given"/> when the user set it, else <paramref name="value"/>, recorded with its reason.</summary>
    public T Choose<T>(T? given, string name, T value, string why) where T : struct
    {
        if (given is { } set)
            return set;
        lines.Add($"{name} = {Format(value)} ({why})");
        return value;
    }

    private static string Format<T>(T value) => value is double d
        ? d.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)
        : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!;
}
