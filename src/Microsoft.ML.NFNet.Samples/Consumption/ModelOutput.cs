namespace Microsoft.ML.NFNet.Samples.Consumption;

/// <summary>What the model predicts for one <see cref="ModelInput"/> (the Model Builder shape).</summary>
public sealed class ModelOutput
{
    /// <summary>The most likely class name.</summary>
    public string PredictedLabel { get; set; } = "";

    /// <summary>One probability per class, in the order of the Score column's slot names.</summary>
    public float[] Score { get; set; } = [];
}
