namespace Microsoft.ML.NFNet.Benchmarks.Transfer;

/// <summary>Settings that override the automatic ones, for the measurements behind the defaults (null: automatic).</summary>
internal sealed record TransferOverrides(double? LearningRate = null, int? Epochs = null, double? BackboneFactor = null,
    double? WarmupEpochs = null, double? CropScaleMin = null, bool NoAugmentation = false, double? Flip = null, double? Clipping = null)
{
    /// <summary>Sets the overridden values on a mode's trainer options (the backbone factor only when starting from
    /// pretrained weights).</summary>
    public void Apply(NFNetTrainingOptions training, bool fromScratch)
    {
        if (LearningRate is { } rate)
            training.Optimizer.LearningRate = rate;
        if (WarmupEpochs is { } warmup)
            training.Optimizer.WarmupEpochs = warmup;
        if (Epochs is { } epochs)
            training.Epochs = epochs;
        if (BackboneFactor is { } factor && !fromScratch)
            training.BackboneLearningRateFactor = factor;
        if (CropScaleMin is { } crop)
            training.Preprocessing.CropScaleMin = crop;
        if (Flip is { } flip)
            training.Preprocessing.HorizontalFlipProbability = flip;
        if (Clipping is { } clipping)
            training.Optimizer.ClippingFactor = clipping;
        if (NoAugmentation)
        {
            training.Preprocessing.RandomResizedCrop = false;
            training.Preprocessing.HorizontalFlipProbability = 0;
        }
    }

    public override string ToString()
    {
        var parts = new List<string>();
        if (LearningRate is { } rate) parts.Add($"lr {rate:0.####}");
        if (Epochs is { } epochs) parts.Add($"{epochs} epochs");
        if (BackboneFactor is { } factor) parts.Add($"backbone × {factor:0.###}");
        if (WarmupEpochs is { } warmup) parts.Add($"warm-up {warmup:0.##}");
        if (CropScaleMin is { } crop) parts.Add($"crop ≥ {crop:0.##}");
        if (Flip is { } flip) parts.Add($"flip {flip:0.##}");
        if (Clipping is { } clipping) parts.Add($"AGC λ {clipping:0.###}");
        if (NoAugmentation) parts.Add("no augmentation");
        return parts.Count == 0 ? "automatic" : string.Join(", ", parts);
    }

    /// <summary>The automatic settings a run chose that these overrides are about, e.g. "lr 0.03, warm-up 1, crop ≥ 0.35".</summary>
    public string Describe(IReadOnlyList<string> automaticChoices)
    {
        string Value(string name) => automaticChoices.FirstOrDefault(c => c.StartsWith(name + " = ", StringComparison.Ordinal))
            ?.Split(" = ")[1].Split(" (")[0] ?? "";
        var automatic = string.Join(", ", new[] { ("lr", "LearningRate"), ("warm-up", "WarmupEpochs"), ("crop ≥", "CropScaleMin"),
                ("flip", "HorizontalFlipProbability"), ("AGC λ", "ClippingFactor"),
                ("backbone ×", "FineTuning.BackboneLearningRateFactor") }
            .Select(p => (p.Item1, Value: Value(p.Item2))).Where(p => p.Value.Length > 0).Select(p => $"{p.Item1} {p.Value}"));
        return ToString() == "automatic" ? $"automatic ({automatic})" : $"{this}; automatic: {automatic}";
    }
}
