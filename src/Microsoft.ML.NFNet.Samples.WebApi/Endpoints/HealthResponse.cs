namespace Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

/// <summary>The body of <c>GET /health</c>.</summary>
/// <param name="Status">"ok" when the model is loaded (the server does not listen before it is).</param>
/// <param name="ModelLoaded">Whether a model is loaded.</param>
/// <param name="Model">The model zip's file name.</param>
/// <param name="ClassCount">Number of classes (the length of the Score vector).</param>
/// <param name="Labels">The class names, in score order.</param>
public sealed record HealthResponse(string Status, bool ModelLoaded, string Model, int ClassCount, IReadOnlyList<string> Labels);
