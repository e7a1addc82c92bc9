namespace Microsoft.ML.NFNet.Samples.WebApi.Model;

/// <summary>What the server reads back from a prediction: the class probabilities only, so it works whether or not the
/// pipeline ends with <c>MapKeyToValue("PredictedLabel")</c>.</summary>
public sealed class ModelOutput
{
    /// <summary>One probability per class, in the order of the Score column's slot names.</summary>
    public float[] Score { get; set; } = [];
}
