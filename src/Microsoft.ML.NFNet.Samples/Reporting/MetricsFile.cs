using System.Text.Json;

namespace Microsoft.ML.NFNet.Samples.Reporting;

/// <summary>Writes the run's settings, per-epoch history and evaluations as JSON, for scripts and comparisons.</summary>
internal static class MetricsFile
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static void Write(string path, object settings, IReadOnlyList<string> automaticChoices, IReadOnlyList<EpochRecord> epochs,
        double trainingSeconds, IEnumerable<EvaluationSummary> evaluations)
    {
        var document = new
        {
            settings,
            automaticChoices,
            trainingSeconds,
            epochs,
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
