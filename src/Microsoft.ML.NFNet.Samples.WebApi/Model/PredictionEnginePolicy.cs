using Microsoft.Extensions.ObjectPool;

namespace Microsoft.ML.NFNet.Samples.WebApi.Model;

/// <summary>
/// How the pool makes engines: each one is created from the one shared, loaded transformer, so every engine uses the
/// same weights (no copy per engine). A <see cref="PredictionEngine{TSrc, TDst}"/> is not thread-safe; a pooled one is
/// used by one request at a time.
/// </summary>
/// <remarks>
/// The engines do not own the transformer (<see cref="PredictionEngineOptions.OwnsTransformer"/> false, as ML.NET's
/// <c>PredictionEnginePool</c> does): the pool disposes the engines it has no room for, and an engine that owned the
/// transformer would dispose it, freeing the model's native memory under every other engine. The model is disposed
/// once, by <see cref="ImageClassifier.Dispose"/>.
/// </remarks>
internal sealed class PredictionEnginePolicy(MLContext mlContext, ITransformer model)
    : IPooledObjectPolicy<PredictionEngine<ModelInput, ModelOutput>>
{
    public PredictionEngine<ModelInput, ModelOutput> Create() =>
        mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model, new PredictionEngineOptions { OwnsTransformer = false });

    // An engine holds no per-request state after Predict returns (a failed Predict included), so every one goes back.
    public bool Return(PredictionEngine<ModelInput, ModelOutput> engine) => true;
}
