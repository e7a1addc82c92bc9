using Microsoft.ML.Data;

namespace Microsoft.ML.NFNet.Samples.Training;

/// <summary>
/// The ML.NET pipeline, Model Builder style: class names to keys, the NFNet trainer on the encoded image bytes, keys
/// back to class names.
/// </summary>
internal static class NFNetPipeline
{
    public static IEstimator<ITransformer> Create(MLContext mlContext, TrainingSettings settings, IDataView? validation,
        Action<TrainingMetrics> onMetrics) =>
        mlContext.Transforms.Conversion.MapValueToKey("Label", "Label")
            .Append(Trainer(mlContext, settings, validation, onMetrics))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel", "PredictedLabel"));

    private static IEstimator<ITransformer> Trainer(MLContext mlContext, TrainingSettings settings, IDataView? validation,
        Action<TrainingMetrics> onMetrics) =>
        throw new NotSupportedException("Trainers.NFNet(...) is not merged into this branch yet.");
}
