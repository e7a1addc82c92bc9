
namespace Microsoft.ML.NFNet.Samples.Training;

/// <summary>
/// The ML.NET pipeline, Model Builder style: class names to keys, the NFNet trainer on the encoded image bytes
/// (the column LoadRawImageBytes would produce), keys back to class names.
/// </summary>
internal static class NFNetPipeline
{
    public static IEstimator<ITransformer> Create(MLContext mlContext, TrainingSettings settings, IDataView train,
        IDataView? validation, Action<TrainingMetrics> onMetrics)
    {
        var labelToKey = mlContext.Transforms.Conversion.MapValueToKey("Label", "Label");
        var trainer = mlContext.MulticlassClassification.Trainers.NFNet(new NFNetImageClassificationTrainer.Options
        {
            LabelColumnName = "Label",
            FeatureColumnName = "ImageSource",
            Architecture = NFNetConfig.Variant(settings.Architecture),
            // The trainer validates on key labels: map the validation rows with the training data's classes.
            ValidationSet = validation is null ? null : labelToKey.Fit(train).Transform(validation),
            ValidationSetFraction = 0,
            Training = new NFNetTrainingOptions
            {
                Epochs = settings.Epochs,
                BatchSize = settings.BatchSize,
                Seed = settings.Seed,
                MetricsCallback = onMetrics,
                Optimizer = new NFNetOptimizerOptions { LearningRate = settings.LearningRate },
                Preprocessing = new ImagePreprocessingOptions { ImageSize = settings.ImageSize, CropScaleMin = settings.CropScaleMin },
            },
        });
        return labelToKey
            .Append(trainer)
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel", "PredictedLabel"));
    }
}
