
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
    /// <param name="cpuCosts">On a CPU, the measured costs per image: a start from pretrained weights with neither
    /// TrainableParts nor Epochs set then follows <see cref="CpuFineTuningPlan"/>; null: no plan.</param>
    /// <param name="sizesAreAutomatic">Whether the ImageSize and EvalImageSize set are automatic choices (the pretrained
    /// weights' sizes) that the plan may lower.</param>
    /// <param name="onCpu">Whether the training runs on a CPU (<see cref="MicroBatchDefaults"/>).</param>
    public static (NFNetTrainingOptions Options, IReadOnlyList<string> Choices) Resolve(
        NFNetTrainingOptions options, DatasetProfile profile, NFNetConfig architecture, bool fromPretrained = false, int validationImages = 0,
        StepCosts? cpuCosts = null, bool sizesAreAutomatic = false, bool onCpu = false)
    {
        var choices = new AutomaticChoices();
        if (fromPretrained && cpuCosts is not null && CpuFineTuningPlan.Applies(options, pretrained: true, onCpu: true))
        {
            var batch = Math.Min(options.BatchSize, profile.ImageCount);
            var plannedSteps = (long)FineTuningDefaults.Epochs(profile, options.BatchSize) * ((profile.ImageCount + batch - 1) / batch);
            options = CpuFineTuningPlan.Apply(options, profile, architecture, cpuCosts, sizesAreAutomatic, plannedSteps, validationImages, choices);
        }
        var resolved = fromPretrained
            ? FineTuningDefaults.Apply(options, profile, architecture, choices, validationImages)
            : FromScratchDefaults.Apply(options, profile, architecture, choices, validationImages);
        CheckImageSize(resolved.Preprocessing.ImageSize, architecture);
        resolved = MicroBatchDefaults.Apply(resolved, onCpu, choices);
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
