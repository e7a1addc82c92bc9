using System.Diagnostics;
using Microsoft.ML.NFNet.Samples.Consumption;
using Microsoft.ML.NFNet.Samples.Reporting;

namespace Microsoft.ML.NFNet.Samples.Training;

/// <summary>A fitted pipeline and how its training went.</summary>
internal sealed record TrainedClassifier(ITransformer Model, DataViewSchema InputSchema, IReadOnlyList<EpochRecord> Epochs, TimeSpan Duration);

/// <summary>Fits the NFNet pipeline on in-memory rows while showing live progress.</summary>
internal static class ImageClassifierTraining
{
    public static TrainedClassifier Fit(MLContext mlContext, TrainingSettings settings, IReadOnlyList<ModelInput> train,
        IReadOnlyList<ModelInput>? validation)
    {
        var trainView = mlContext.Data.LoadFromEnumerable(train);
        var validationView = validation is { Count: > 0 } ? mlContext.Data.LoadFromEnumerable(validation) : null;
        var progress = new TrainingProgress();
        var pipeline = NFNetPipeline.Create(mlContext, settings, trainView, validationView, progress.OnMetrics);
        var stopwatch = Stopwatch.StartNew();
        var model = progress.Run(() => pipeline.Fit(trainView));
        return new TrainedClassifier(model, trainView.Schema, progress.Epochs, stopwatch.Elapsed);
    }
}
