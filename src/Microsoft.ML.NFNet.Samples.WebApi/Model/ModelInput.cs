namespace Microsoft.ML.NFNet.Samples.WebApi.Model;

/// <summary>One image as the model reads it (the Model Builder shape the sample app trains with).</summary>
public sealed class ModelInput
{
    /// <summary>Class name; ignored when predicting. Present because a pipeline that starts with
    /// <c>MapValueToKey("Label")</c> (as the sample app's does) expects the column in its input.</summary>
    public string Label { get; set; } = "";

    /// <summary>The encoded image file (PNG, JPEG, ...), exactly as uploaded.</summary>
    public byte[] ImageSource { get; set; } = [];
}
