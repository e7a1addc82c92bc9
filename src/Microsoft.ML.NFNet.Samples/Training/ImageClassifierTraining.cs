using System.Diagnostics;
using Microsoft.ML.NFNet.Samples.Consumption;
using Microsoft.ML.NFNet.Samples.Reporting;

namespace Microsoft.ML.NFNet.Samples.Training;

/// <summary>A fitted pipeline and how its training went (with the settings the trainer chose from the data, and why).</summary>
internal sealed record TrainedClassifier(ITransformer Model, DataViewSchema InputSchema, IReadOnlyList<EpochRecord> Epochs, TimeSpan Duration,
    IReadOnlyList<string> AutomaticChoices);

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
        return new TrainedClassifier(model, trainView.Schema, progress.Epochs, stopwatch.Elapsed, AutomaticChoices(model));
    }

    /// <summary>The choices saved with the NFNet model of the chain (<c>NFNetModelParameters.Training</c>).</summary>
    private static IReadOnlyList<string> AutomaticChoices(ITransformer model) =>
        (model as IEnumerable<ITransformer> ?? [model])
            .OfType<Microsoft.ML.Data.MulticlassPredictionTransformer<NFNetModelParameters>>()
            .Select(t => t.Model.Training?.AutomaticChoices ?? [])
            .FirstOrDefault() ?? [];

    /// <summary>Prints the automatic choices, one line each.</summary>
    public static void PrintAutomaticChoices(TrainedClassifier classifier)
    {
        if (classifier.AutomaticChoices.Count == 0)
            return;
        Spectre.Console.AnsiConsole.MarkupLine("Chosen from the data (set any of them to override):");
        foreach (var choice in classifier.AutomaticChoices)
            Spectre.Console.AnsiConsole.MarkupLine($"  [grey]{Spectre.Console.Markup.Escape(choice)}[/]");
    }
}
