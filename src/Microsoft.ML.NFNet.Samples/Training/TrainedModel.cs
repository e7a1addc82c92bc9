using System.Diagnostics;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Training;

/// <summary>A fitted pipeline and how its training went: <paramref name="Training"/> holds every epoch's report and
/// the settings the trainer chose from the data, with its reasons.</summary>
public sealed record TrainedModel(ITransformer Model, DataViewSchema InputSchema, NFNetTrainingResult Training, TimeSpan Duration)
{
    /// <summary>Fits <see cref="MLModel.RetrainPipeline"/> while showing progress.</summary>
    public static TrainedModel Fit(MLContext mlContext, TrainingSettings settings, IReadOnlyList<MLModel.ModelInput> train,
        IReadOnlyList<MLModel.ModelInput> validation, TextWriter? progressOutput = null)
    {
        var trainData = mlContext.Data.LoadFromEnumerable(train);
        var validationData = validation.Count > 0 ? mlContext.Data.LoadFromEnumerable(validation) : null;
        var progress = new ProgressDisplay(progressOutput);
        var clock = Stopwatch.StartNew();
        var model = progress.Run(() => MLModel.RetrainPipeline(mlContext, trainData, settings, validationData, progress.OnMetrics));
        // The NFNet model of the chain keeps what its training did (NFNetModelParameters.Training).
        var training = NFNetModelParameters.FindIn(model)?.Training
                       ?? throw new InvalidOperationException("The fitted pipeline holds no NFNet model with a training result.");
        return new TrainedModel(model, trainData.Schema, training, clock.Elapsed);
    }

    /// <summary>The end-of-epoch reports, in order.</summary>
    public IReadOnlyList<TrainingMetrics> Epochs => Training.History.Where(m => m.IsEpochEnd).ToArray();

    /// <summary>Prints the trainer's automatic choices, one line each.</summary>
    public void PrintAutomaticChoices()
    {
        if (Training.AutomaticChoices.Count == 0)
            return;
        AnsiConsole.MarkupLine("Chosen from the data (set any of them to override):");
        foreach (var choice in Training.AutomaticChoices)
            AnsiConsole.MarkupLine($"  [grey]{Markup.Escape(choice)}[/]");
    }
}
