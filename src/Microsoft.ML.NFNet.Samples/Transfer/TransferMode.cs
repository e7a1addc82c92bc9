namespace Microsoft.ML.NFNet.Samples.Transfer;

/// <summary>The ways the transfer demo trains a classifier on the new classes.</summary>
internal enum TransferMode
{
    /// <summary>nfnet_tiny from random weights (the baseline), with as many epochs as full fine-tuning: the same time budget.</summary>
    Scratch,

    /// <summary>The pretrained network, every layer trained (<c>TrainableParts = All</c>).</summary>
    Full,

    /// <summary>The pretrained network's last stage, final conv and a new head trained (<c>LastStages</c>, 1 stage).</summary>
    LastStage,

    /// <summary>A new head on the frozen pretrained backbone (<c>TrainableParts = Head</c>, a linear probe).</summary>
    Head,

    /// <summary>The pretrained backbone's pooled features into ML.NET's <c>LbfgsMaximumEntropy</c>.</summary>
    Features,
}

/// <summary>Settings that override the automatic ones, for the measurements behind the defaults (null: automatic).</summary>
internal sealed record TransferOverrides(double? LearningRate = null, int? Epochs = null, double? BackboneFactor = null,
    double? WarmupEpochs = null, double? CropScaleMin = null, bool NoAugmentation = false)
{
    public override string ToString()
    {
        var parts = new List<string>();
        if (LearningRate is { } rate) parts.Add($"lr {rate:0.####}");
        if (Epochs is { } epochs) parts.Add($"{epochs} epochs");
        if (BackboneFactor is { } factor) parts.Add($"backbone × {factor:0.###}");
        if (WarmupEpochs is { } warmup) parts.Add($"warm-up {warmup:0.##}");
        if (CropScaleMin is { } crop) parts.Add($"crop ≥ {crop:0.##}");
        if (NoAugmentation) parts.Add("no augmentation");
        return parts.Count == 0 ? "automatic" : string.Join(", ", parts);
    }
}

/// <summary>One row of the demo's table.</summary>
internal sealed record TransferResult(TransferMode Mode, int PerClass, double Accuracy, TimeSpan Duration, int Epochs,
    string Settings, string LoadBefore, string LoadAfter);
