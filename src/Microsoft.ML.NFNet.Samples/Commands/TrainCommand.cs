using System.CommandLine;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Datasets;
using Microsoft.ML.NFNet.Samples.Reporting;
using Microsoft.ML.NFNet.Samples.Training;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>The <c>train</c> command: your own folder-per-class images to an ML.NET model zip.</summary>
internal sealed class TrainCommand : System.CommandLine.Command
{
    public static readonly TrainingSettings Defaults = new("nfnet_tiny", Epochs: null, ImageSize: null, BatchSize: 32, Seed: 1);

    private readonly Option<string> data = CliOptions.Single("--data",
        "Folder with one sub-folder of images per class (JPEG, PNG, BMP, GIF, WEBP, ICO, WBMP, TIFF)", ValueParsers.ExistingFolder, "folder");
    private readonly TrainingOptions training = new(Defaults, learningRateHelp: "automatic: 0.1 at batch 32 and up, less for smaller batches");
    private readonly Option<double> validationFraction = CliOptions.Single("--validation-fraction",
        "Stratified share of every class held out to report validation loss and accuracy per epoch (0 = train on everything)",
        ValueParsers.Double(0, 1, maxExclusive: true), "fraction", () => 0.2);
    private readonly Option<string> output = CliOptions.Single("--output",
        "Folder for model.zip, training-curves.png, confusion-matrix.png (validation images) and metrics.json",
        text => text, "dir", () => "nfnet-output");

    public TrainCommand() : base("train",
        "Trains an NFNet classifier on your own images (one sub-folder per class) and saves an ML.NET model zip, " +
        "the training curves, the validation confusion matrix and metrics.json.")
    {
        data.Required = true;
        Options.Add(data);
        training.AddTo(this);
        Options.Add(validationFraction);
        Options.Add(output);
        SetAction(result => Run(Bind(result)));
    }

    /// <summary>What <c>train</c> is asked to do.</summary>
    public sealed record Request(string Data, TrainingSettings Settings, double ValidationFraction, string Output);

    /// <summary>Reads a parsed command line (the parser has already checked every value).</summary>
    public Request Bind(ParseResult result) =>
        new(result.GetValue(data)!, training.Read(result), result.GetValue(validationFraction), result.GetValue(output)!);

    private static int Run(Request request)
    {
        var settings = request.Settings;
        var output = new OutputFolder(request.Output);
        var rows = LabeledImageFolder.Load(request.Data, minimumClasses: 2);
        var (train, validation) = StratifiedSplit.Split(rows, request.ValidationFraction, settings.Seed);
        AnsiConsole.MarkupLine($"[bold]{train.Count}[/] training and [bold]{validation.Count}[/] validation images, " +
                               $"{rows.Select(r => r.Label).Distinct().Count()} classes.");

        var mlContext = new MLContext(seed: settings.Seed);
        var classifier = ImageClassifierTraining.Fit(mlContext, settings, train, validation);
        ImageClassifierTraining.PrintAutomaticChoices(classifier);
        output.SaveModel(mlContext, classifier);
        if (validation.Count > 0)
        {
            var evaluation = EvaluationSummary.Evaluate(mlContext, classifier.Model.Transform(mlContext.Data.LoadFromEnumerable(validation)), "validation");
            EvaluationReport.Print(evaluation);
            output.SaveCharts(classifier, evaluation, $"{settings.Architecture} on {Path.GetFileName(Path.GetFullPath(request.Data))}");
            output.SaveMetrics(settings, classifier, evaluation);
        }
        else
        {
            output.SaveMetrics(settings, classifier);
        }
        output.PrintSummary();
        return 0;
    }
}
