namespace Microsoft.ML.NFNet.Samples.Transfer;

/// <summary>The ways the transfer demo trains a classifier on the new classes.</summary>
public enum TransferMode
{
    /// <summary>nfnet_tiny from random weights with the from-scratch defaults (the baseline).</summary>
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

/// <summary>How tables name the modes.</summary>
public static class TransferModeTitles
{
    public static string Title(this TransferMode mode) => mode switch
    {
        TransferMode.Scratch => "from scratch",
        TransferMode.Full => "full fine-tuning",
        TransferMode.LastStage => "last stage + head",
        TransferMode.Head => "head only",
        _ => "features + LbfgsMaximumEntropy",
    };
}

/// <summary>One row of the demo's table; <paramref name="AutomaticChoices"/> are the trainer's (none for features).</summary>
public sealed record TransferResult(TransferMode Mode, int PerClass, double Accuracy, TimeSpan Duration, int Epochs,
    IReadOnlyList<string> AutomaticChoices);
