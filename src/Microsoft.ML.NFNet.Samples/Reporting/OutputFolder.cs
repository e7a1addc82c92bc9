using Microsoft.ML.NFNet.Samples.Training;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Reporting;

/// <summary>Writes a training run's artefacts (model zip, curves, confusion matrix, metrics JSON) and lists them.</summary>
internal sealed class OutputFolder
{
    private readonly List<(string Path, string What)> written = [];

    public OutputFolder(string path)
    {
        Root = Path.GetFullPath(path);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string ModelPath => Path.Combine(Root, "model.zip");

    public void SaveModel(MLContext mlContext, TrainedModel trained)
    {
        mlContext.Model.Save(trained.Model, trained.InputSchema, ModelPath);
        written.Add((ModelPath, "ML.NET model (load with mlContext.Model.Load)"));
    }

    public void SaveCharts(TrainedModel trained, EvaluationSummary evaluation, string runTitle)
    {
        var curves = Path.Combine(Root, "training-curves.png");
        TrainingCurveChart.Save(trained.Epochs, curves, $"{runTitle}: loss and accuracy per epoch");
        written.Add((curves, "loss and accuracy per epoch, training vs validation"));
        SaveConfusionMatrix(evaluation);
    }

    public void SaveConfusionMatrix(EvaluationSummary evaluation)
    {
        var path = Path.Combine(Root, "confusion-matrix.png");
        ConfusionMatrixChart.Save(evaluation.ClassNames, evaluation.Counts, path,
            $"Confusion matrix on {evaluation.DatasetName} (accuracy {evaluation.Metrics.MicroAccuracy:P1})");
        written.Add((path, $"confusion matrix on {evaluation.DatasetName}"));
    }

    public void SaveMetrics(TrainingSettings settings, TrainedModel trained, params EvaluationSummary[] evaluations)
    {
        var path = Path.Combine(Root, "metrics.json");
        MetricsFile.Write(path, settings, trained, evaluations);
        written.Add((path, "settings (with the automatic choices), per-epoch history and evaluation metrics"));
    }

    public void PrintSummary()
    {
        AnsiConsole.MarkupLine($"\nOutputs in [bold]{Markup.Escape(Root)}[/]:");
        foreach (var (path, what) in written)
            AnsiConsole.MarkupLine($"  [bold]{Markup.Escape(Path.GetFileName(path))}[/]  {Markup.Escape(what)}");
    }
}
