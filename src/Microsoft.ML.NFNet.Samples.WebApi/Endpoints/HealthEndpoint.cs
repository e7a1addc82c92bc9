using Microsoft.ML.NFNet.Samples.WebApi.Model;

namespace Microsoft.ML.NFNet.Samples.WebApi.Endpoints;

/// <summary><c>GET /health</c>: whether the model is loaded, and what it predicts.</summary>
public static class HealthEndpoint
{
    /// <summary>Answers from the loaded model; the model is loaded before the server listens, so this is always "ok".</summary>
    public static HealthResponse Handle(ImageClassifier classifier) =>
        new("ok", ModelLoaded: true, Path.GetFileName(classifier.ModelPath), classifier.Labels.Count, classifier.Labels);
}
