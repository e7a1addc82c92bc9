using System.CommandLine;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Reporting;
using Microsoft.ML.NFNet.Samples.Training;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>
/// The run with no command: the whole story on the embedded Fashion-MNIST subset in about a minute on a laptop CPU.
/// Train (with a stratified 20 % validation hold-out), evaluate on the separate test folder, save, reload, predict.
/// It is the root of the command line; the other commands are its subcommands (see <see cref="SampleCommandLine"/>).
/// </summary>
internal sealed class FashionMnistSampleCommand : RootCommand
{
    private const double ValidationFraction = 0.2;
    private const int ImagesToPredict = 5;

    // What a newcomer passes: nothing but a seed. Epochs, resolution, augmentation and learning rate are the trainer's
    // automatic choices for these 28×28 gray images (printed after training, saved in metrics.json and the model).
    private readonly TrainingOptions training = new();
    private readonly Option<string> output = CliOptions.Single("--output", "Folder for model.zip, charts and metrics.json",
        text => text, "dir", () => "nfnet-output");

    public FashionMnistSampleCommand() : base(
        "NFNet image classification with ML.NET (Microsoft.ML.NFNet samples). Without a command: trains nfnet_tiny on the " +
        "embedded Fashion-MNIST subset, evaluates it, saves and reloads the model, predicts a few test images, and writes " +
        "charts and metrics to --output (about a minute on a CPU).")
    {
        HelpName = SampleCommandLine.Name;
        training.AddTo(this);
        Options.Add(output);
        SetAction(result => Run(Bind(result)));
    }

    /// <summary>What the run is asked to do: the training settings and the output folder.</summary>
    public sealed record Request(TrainingSettings Settings, string Output);

    /// <summary>Reads a parsed command line (the parser has already checked every value).</summary>
    public Request Bind(ParseResult result) => new(training.Read(result), result.GetValue(output)!);

    private static int Run(Request request)
    {
        var settings = request.Settings;
        var output = new OutputFolder(request.Output);
        var dataRoot = Path.Combine(AppContext.BaseDirectory, "Data");
        var all = MLModel.ReadImageFolder(Path.Combine(dataRoot, "FashionMnist"), minimumClasses: 2);
        var test = MLModel.ReadImageFolder(Path.Combine(dataRoot, "FashionMnistTest"));
        var (train, validation) = StratifiedSplit.Split(all, ValidationFraction, settings.Seed);
        AnsiConsole.MarkupLine($"Fashion-MNIST subset: [bold]{train.Count}[/] training, [bold]{validation.Count}[/] validation " +
            $"(stratified {ValidationFraction:P0} hold-out), [bold]{test.Count}[/] test images. Training {settings.Architecture}, " +
            $"{settings.Epochs?.ToString() ?? "automatic"} epochs at {settings.ImageSize?.ToString() ?? "automatic"} px, batch {settings.BatchSize}.");

        var mlContext = new MLContext(seed: settings.Seed);
        var trained = TrainedModel.Fit(mlContext, settings, train, validation);
        trained.PrintAutomaticChoices();
        AnsiConsole.MarkupLine($"Training took [bold]{trained.Duration:mm\\:ss}[/].");

        var validationResult = EvaluationSummary.Evaluate(mlContext, trained.Model.Transform(mlContext.Data.LoadFromEnumerable(validation)), "validation");
        var testResult = EvaluationSummary.Evaluate(mlContext, trained.Model.Transform(mlContext.Data.LoadFromEnumerable(test)), "FashionMnistTest");
        EvaluationReport.Print(testResult);
        AnsiConsole.MarkupLine($"Validation accuracy {validationResult.Metrics.MicroAccuracy:P1}; " +
                               $"[bold]test accuracy {testResult.Metrics.MicroAccuracy:P1}[/].");

        output.SaveModel(mlContext, trained);
        output.SaveCharts(trained, testResult, $"{settings.Architecture} on Fashion-MNIST subset");
        output.SaveMetrics(settings, trained, validationResult, testResult);
        PredictWithTheSavedModel(output.ModelPath, test);
        output.PrintSummary();
        return 0;
    }

    // What an application does with the zip (MLModel.consumption.cs): a fresh load, then the top 3 of PredictAllLabels
    // for one test image per class.
    private static void PredictWithTheSavedModel(string modelPath, IReadOnlyList<MLModel.ModelInput> test)
    {
        MLModel.MLNetModelPath = modelPath;
        var table = new Table().Title($"Predictions of the reloaded model ({Markup.Escape(Path.GetFileName(modelPath))})")
            .AddColumns("true class", "top-3 predictions");
        foreach (var image in test.GroupBy(t => t.Label).Select(g => g.First()).Take(ImagesToPredict))
            table.AddRow(Markup.Escape(image.Label), PredictCommand.Format(MLModel.PredictAllLabels(image).Take(3), image.Label));
        AnsiConsole.Write(table);
    }
}
