using System.Globalization;

namespace Microsoft.ML.NFNet;

/// <summary>
/// What a start from pretrained weights trains on a CPU when the user chose neither <see cref="NFNetTrainingOptions.TrainableParts"/>
/// nor <see cref="NFNetTrainingOptions.Epochs"/>: the most accurate mode that fits the time budget
/// (<see cref="NFNetTrainingOptions.MaxTrainingTime"/>, else <see cref="DefaultBudget"/>) at the measured
/// <see cref="StepCosts"/>. In order: the whole network at the published training resolution, then at lower ones (down
/// to half of it; scored at a proportionally lower test resolution, FixRes-style), as long as at least
/// <see cref="MinimumSteps"/> steps (and one epoch) fit; else only the head, on pooled features computed once without
/// augmentation (one forward pass per image). The rules and measurements: docs/transfer-learning.md, "Fitting the hardware".
/// </summary>
internal static class CpuFineTuningPlan
{
    /// <summary>The time budget when none is set: a coffee break, what Model Builder users give a first try; long
    /// enough for whole-network fine-tuning of a thousand images of eca_nfnet_l0 on a 2-core CPU.</summary>
    public static readonly TimeSpan DefaultBudget = TimeSpan.FromMinutes(10);

    /// <summary>Whole-network fine-tuning is chosen only when this many steps fit: fewer leave the new classifier
    /// barely trained and the backbone disturbed (measured: 10 → 50 epochs of 2–5 steps took nfnet_tiny from 73 to 78 %).</summary>
    public const int MinimumSteps = 100;

    /// <summary>The share of the budget planned for training steps and validations: the data check, this plan's probe and
    /// building the model take the rest.</summary>
    public const double TrainingShare = 0.8;

    /// <summary>The lowest training resolution tried, as a share of the published one: timm and FixRes train at 0.6–0.9 of
    /// the test resolution; below half, pretrained features lose their scale.</summary>
    public const double LowestSizeShare = 0.5;

    /// <summary>Training resolutions tried are this many pixels apart.</summary>
    public const int SizeStep = 32;

    /// <summary>Whether the plan decides: pretrained weights on a CPU, and neither TrainableParts nor Epochs set.</summary>
    public static bool Applies(NFNetTrainingOptions options, bool pretrained, bool onCpu) =>
        pretrained && onCpu && options.TrainableParts is null && options.Epochs is null;

    /// <summary>The side the probe measures at: the lowest one tried (the cheapest; larger ones are scaled up).</summary>
    public static int ProbeSize(NFNetTrainingOptions options, NFNetConfig architecture, bool sizesAreAutomatic) =>
        Sizes(options, architecture, sizesAreAutomatic)[^1];

    /// <summary>
    /// Sets TrainableParts, MaxTrainingTime and the resolutions (and, for the head, augmentation off) that fit; every
    /// choice is recorded with its reason. A value the user set is kept.
    /// </summary>
    /// <param name="options">The options as given.</param>
    /// <param name="profile">What the data scan saw.</param>
    /// <param name="architecture">The network.</param>
    /// <param name="costs">The measured costs per image.</param>
    /// <param name="sizesAreAutomatic">Whether ImageSize and EvalImageSize are automatic choices (the published sizes
    /// of the pretrained weights) that the plan may lower, even though they are set.</param>
    /// <param name="plannedSteps">The steps the fine-tuning defaults plan (epochs × steps per epoch).</param>
    /// <param name="validationImages">Images validated after each epoch.</param>
    /// <param name="choices">Receives the choices.</param>
    public static NFNetTrainingOptions Apply(NFNetTrainingOptions options, DatasetProfile profile, NFNetConfig architecture,
        StepCosts costs, bool sizesAreAutomatic, long plannedSteps, int validationImages, AutomaticChoices choices)
    {
        var budget = choices.Choose(options.MaxTrainingTime, "MaxTrainingTime", DefaultBudget,
            "the default time budget for fine-tuning on a CPU; set MaxTrainingTime for more, or TrainableParts/Epochs to decide yourself");
        var available = budget.TotalSeconds * TrainingShare;
        var sizes = Sizes(options, architecture, sizesAreAutomatic);
        var published = sizes[0];
        var publishedEval = options.Preprocessing.EvalImageSize ?? published;
        var batch = Math.Min(options.BatchSize, profile.ImageCount);
        var stepsPerEpoch = (profile.ImageCount + batch - 1) / batch;
        var neededSteps = Math.Min(plannedSteps, Math.Max(MinimumSteps, stepsPerEpoch));
        var neededEpochs = (neededSteps + stepsPerEpoch - 1) / stepsPerEpoch;
        foreach (var size in sizes)
        {
            var eval = size == published ? publishedEval : RoundTo(size * (double)publishedEval / published, 16);
            var seconds = neededSteps * batch * costs.TrainSecondsAt(size) + neededEpochs * validationImages * costs.ForwardSecondsAt(eval);
            if (seconds > available)
                continue;
            var why = string.Create(CultureInfo.InvariantCulture,
                $"{neededSteps} steps of the whole network at {size} px take about {seconds / 60:0.#} min at the measured " +
                $"{costs.TrainSecondsAt(size) * 1000:0} ms per image, within {TrainingShare:P0} of MaxTrainingTime");
            return WithSizes(options with { TrainableParts = NFNetTrainableParts.All, MaxTrainingTime = budget }, size, eval, published,
                sizesAreAutomatic, "whole network: the most accurate mode measured; " + why, choices);
        }
        // Only the head: the backbone runs once per image; its features train the head in seconds.
        var images = profile.ImageCount + validationImages;
        var headSize = sizes.FirstOrDefault(size => images * costs.ForwardSecondsAt(size) <= available / 2, sizes[^1]);
        var fullSeconds = neededSteps * batch * costs.TrainSecondsAt(sizes[^1]);
        var headWhy = string.Create(CultureInfo.InvariantCulture,
            $"head on features computed once: {neededSteps} whole-network steps would take about {fullSeconds / 60:0.#} min even at " +
            $"{sizes[^1]} px (measured {costs.TrainSecondsAt(sizes[^1]) * 1000:0} ms per image), more than {TrainingShare:P0} of " +
            $"MaxTrainingTime; the features of {images:N0} images at {headSize} px take about " +
            $"{images * costs.ForwardSecondsAt(headSize) / 60:0.#} min");
        var preprocessing = options.Preprocessing;
        var augmentationIsAutomatic = preprocessing.CropScaleMin is null && preprocessing.HorizontalFlipProbability is null
            && preprocessing.MixUpAlpha is null && preprocessing.CutMixAlpha is null;
        var head = options with { TrainableParts = NFNetTrainableParts.Head, MaxTrainingTime = budget };
        if (augmentationIsAutomatic)
        {
            choices.Add("RandomResizedCrop = False (the head trains on features computed once, so every epoch sees the same images)");
            head = head with
            {
                Preprocessing = preprocessing.Copy() with
                {
                    RandomResizedCrop = false,
                    HorizontalFlipProbability = choices.Choose<double>(null, "HorizontalFlipProbability", 0.0, "off, for the same reason"),
                    MixUpAlpha = 0,
                    CutMixAlpha = 0,
                },
            };
        }
        return WithSizes(head, headSize, headSize, published, sizesAreAutomatic, headWhy, choices);
    }

    private static NFNetTrainingOptions WithSizes(NFNetTrainingOptions options, int size, int eval, int published, bool sizesAreAutomatic,
        string why, AutomaticChoices choices)
    {
        choices.Add($"TrainableParts = {options.TrainableParts} ({why})");
        var preprocessing = options.Preprocessing;
        if (size == published && eval == (preprocessing.EvalImageSize ?? published) || preprocessing.ImageSize is not null && !sizesAreAutomatic)
            return options; // the published (or the user's) sizes
        var headOnly = options.TrainableParts == NFNetTrainableParts.Head;
        if (size != published)
            choices.Add($"ImageSize = {size} (below the published {published} px, to fit the time budget)");
        int? evalImageSize = eval == size && preprocessing.EvalImageSize is null ? null : eval;
        if (evalImageSize is { } scoring && scoring != preprocessing.EvalImageSize)
            choices.Add($"EvalImageSize = {scoring} ({(headOnly ? "the resolution the head's features are computed at"
                : "the published ratio of test to training resolution, FixRes-style")})");
        return options with { Preprocessing = preprocessing.Copy() with { ImageSize = size, EvalImageSize = evalImageSize } };
    }

    /// <summary>The training resolutions tried, largest (the published one) first.</summary>
    private static int[] Sizes(NFNetTrainingOptions options, NFNetConfig architecture, bool sizesAreAutomatic)
    {
        var published = options.Preprocessing.ImageSize ?? Math.Max(architecture.TrainImageSize, architecture.MinimumImageSize);
        if (options.Preprocessing.ImageSize is not null && !sizesAreAutomatic)
            return [published];
        var lowest = Math.Max(architecture.MinimumImageSize, (int)Math.Ceiling(published * LowestSizeShare));
        var sizes = new List<int> { published };
        for (var size = (published - 1) / SizeStep * SizeStep; size >= lowest; size -= SizeStep)
            sizes.Add(size);
        return [.. sizes];
    }

    private static int RoundTo(double value, int multiple) => Math.Max(multiple, (int)Math.Round(value / multiple) * multiple);
}
