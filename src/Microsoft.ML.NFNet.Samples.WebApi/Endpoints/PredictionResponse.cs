using System.Text.Json.Serialization;

namespace Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

/// <summary>The body of a successful <c>POST /predict</c>: one entry per uploaded image, in upload order.</summary>
/// <param name="Predictions">The images' top-k classes.</param>
public sealed record PredictionResponse(IReadOnlyList<ImagePrediction> Predictions);

/// <summary>The top-k classes of one image.</summary>
/// <param name="FileName">The multipart file name; absent for a raw-body upload.</param>
/// <param name="Top">The k most likely classes, best first.</param>
public sealed record ImagePrediction(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? FileName,
    IReadOnlyList<LabelProbability> Top);

/// <summary>One class and its probability (softmax output, 0..1).</summary>
/// <param name="Label">The class name (a slot name of the model's Score column).</param>
/// <param name="Probability">The model's probability for the class.</param>
public sealed record LabelProbability(string Label, float Probability);
