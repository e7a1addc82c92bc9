using System.CommandLine;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Reporting;
using Microsoft.ML.NFNet.Samples.Training;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>The <c>train</c> command: your own folder-per-class images to an ML.NET model zip.</summary>
internal sealed class TrainCommand : System.CommandLine.Command
{
    private readonly Option<string> data = CliOptions.Single("--data",
        $"Folder with one sub-folder of images per class; files named {ImageFormats} are read (docs/image-formats.md says " +
        "which formats decode)", ValueParsers.ExistingFolder, "folder");
    private readonly TrainingOptions training = new();
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

    /// <summary>The file extensions the library reads from a class folder.</summary>
    public static string ImageFormats => string.Join(", ", ImageDataSource.ImageExtensions.Order(StringComparer.Ordinal));

    /// <summary>What <c>train</c> is asked to do.</summary>
    public sealed record Request(string Data, TrainingSettings Settings, double ValidationFraction, string Output);

    /// <summary>Reads a parsed command line (the parser has already checked every value).</summary>
    public Request Bind(ParseResult result) =>
        new(result.GetValue(data)!, training.Read(result), result.GetValue(validationFraction), result.GetValue(output)!);

    private static int Run(Request request)
    {
        var settings = request.Settings;
        var output = new OutputFolder(request.Output);
        var rows = MLModel.ReadImageFolder(request.Data, minimumClasses: 2);
        var (train, validation) = StratifiedSplit.Split(rows, request.ValidationFraction, settings.Seed);
        AnsiConsole.MarkupLine($"[bold]{train.Count}[/] training and [bold]{validation.Count}[/] validation images, " +
                               $"{rows.Select(r => r.Label).Distinct().Count()} classes.");

        var mlContext = new MLContext(seed: settings.Seed);
        var trained = TrainedModel.Fit(mlContext, settings, train, validation);
        trained.PrintAutomaticChoices();
        output.SaveModel(mlContext, trained);
        if (validation.Count == 0)
            output.SaveMetrics(settings, trained);
        else
        {
            var evaluation = EvaluationSummary.Evaluate(mlContext, trained.Model.Transform(mlContext.Data.LoadFromEnumerable(validation)), "validation");
            EvaluationReport.Print(evaluation);
            output.SaveCharts(trained, evaluation, $"{settings.Architecture} on {Path.GetFileName(Path.GetFullPath(request.Data))}");
            output.SaveMetrics(settings, trained, evaluation);
        }
        output.PrintSummary();
        return 0;
    }
}
