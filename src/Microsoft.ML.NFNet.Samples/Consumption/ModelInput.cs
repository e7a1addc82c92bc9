namespace Microsoft.ML.NFNet.Samples.Consumption;

/// <summary>One image as the model reads it (the Model Builder shape): the encoded file bytes and, for training and
/// evaluation, its class name.</summary>
public sealed class ModelInput
{
    /// <summary>Class name (the folder name); ignored when predicting.</summary>
    public string Label { get; set; } = "";

    /// <summary>The encoded image file (PNG, JPEG, ...), as File.ReadAllBytes returns it.</summary>
    public byte[] ImageSource { get; set; } = [];
}
