using System.Text.Json;
using Microsoft.ML.NFNet.Samples.Training;

namespace Microsoft.ML.NFNet.Samples.Reporting;

/// <summary>Writes the run's settings, automatic choices, per-epoch history and evaluations as JSON, for scripts and
/// comparisons.</summary>
internal static class MetricsFile
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static void Write(string path, TrainingSettings settings, TrainedModel trained, IEnumerable<EvaluationSummary> evaluations)
    {
        var document = new
        {
            settings,
            automaticChoices = trained.Training.AutomaticChoices,
            trainingSeconds = trained.Duration.TotalSeconds,
            selectedEpoch = trained.Training.SelectedEpoch,
            epochs = trained.Epochs.Select(m => new
            {
                epoch = m.Epoch, trainLoss = m.TrainLoss, trainAccuracy = m.TrainAccuracy, validationLoss = m.ValidationLoss,
                validationAccuracy = m.ValidationAccuracy, learningRate = m.LearningRate, imagesPerSecond = m.ImagesPerSecond,
                elapsedSeconds = m.Elapsed.TotalSeconds,
            }),
            evaluations = evaluations.Select(e => new
            {
                dataset = e.DatasetName,
                microAccuracy = e.Metrics.MicroAccuracy,
                macroAccuracy = e.Metrics.MacroAccuracy,
                logLoss = e.Metrics.LogLoss,
                logLossReduction = e.Metrics.LogLossReduction,
                classes = e.ClassNames,
                perClassPrecision = e.Metrics.ConfusionMatrix.PerClassPrecision,
                perClassRecall = e.Metrics.ConfusionMatrix.PerClassRecall,
                perClassLogLoss = e.Metrics.PerClassLogLoss,
                confusionMatrix = e.Counts,
            }),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(document, Options));
    }
}
