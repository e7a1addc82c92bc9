using System.CommandLine;
using Microsoft.ML.NFNet.Samples.Cli;
using Microsoft.ML.NFNet.Samples.Consumption;
using Microsoft.ML.NFNet.Samples.Datasets;
using Microsoft.ML.NFNet.Samples.Reporting;
using Microsoft.ML.NFNet.Samples.Training;
using Spectre.Console;

namespace Microsoft.ML.NFNet.Samples.Commands;

/// <summary>
/// The run with no command: the whole story on the embedded Fashion-MNIST subset in a few minutes on a laptop CPU.
/// Train (with a stratified 20 % validation hold-out), evaluate on the separate test folder, save, reload, predict.
/// It is the root of the command line; the other commands are its subcommands (see <see cref="SampleCommandLine"/>).
/// </summary>
internal sealed class FashionMnistSampleCommand : RootCommand
{
    // What a newcomer passes: nothing but a seed. Epochs, resolution, augmentation and learning rate are the trainer's
    // automatic choices for these 28×28 gray images (printed as the run starts, saved in metrics.json and the model).
    public static readonly TrainingSettings Defaults = new("nfnet_tiny", Epochs: null, ImageSize: null, BatchSize: 32, Seed: 1);
    private const double ValidationFraction = 0.2;
    private const int ImagesToPredict = 5;

    private readonly TrainingOptions training = new(Defaults);
    private readonly Option<string> output = CliOptions.Single("--output", "Folder for model.zip, charts and metrics.json",
        text => text, "dir", () => "nfnet-output");

    public FashionMnistSampleCommand() : base(
        "NFNet image classification with ML.NET (Microsoft.ML.NFNet samples). Without a command: trains nfnet_tiny on the " +
        "embedded Fashion-MNIST subset, evaluates it, saves and reloads the model, predicts a few test images, and writes " +
        "charts and metrics to --output (a few minutes on a CPU).")
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
        var all = LabeledImageFolder.Load(Path.Combine(dataRoot, "FashionMnist"), minimumClasses: 2);
        var test = LabeledImageFolder.Load(Path.Combine(dataRoot, "FashionMnistTest"), minimumClasses: 2);
        var (train, validation) = StratifiedSplit.Split(all, ValidationFraction, settings.Seed);
        AnsiConsole.MarkupLine($"Fashion-MNIST subset: [bold]{train.Count}[/] training, [bold]{validation.Count}[/] validation " +
            $"(stratified {ValidationFraction:P0} hold-out), [bold]{test.Count}[/] test images. Training {settings.Architecture}, " +
            $"{Describe(settings.Epochs, "automatic")} epochs at {Describe(settings.ImageSize, "automatic")} px, batch {settings.BatchSize}.");

        var mlContext = new MLContext(seed: settings.Seed);
        var classifier = ImageClassifierTraining.Fit(mlContext, settings, train, validation);
        ImageClassifierTraining.PrintAutomaticChoices(classifier);
        AnsiConsole.MarkupLine($"Training took [bold]{classifier.Duration:mm\\:ss}[/].");

        var validationResult = EvaluationSummary.Evaluate(mlContext, classifier.Model.Transform(mlContext.Data.LoadFromEnumerable(validation)), "validation");
        var testResult = EvaluationSummary.Evaluate(mlContext, classifier.Model.Transform(mlContext.Data.LoadFromEnumerable(test)), "FashionMnistTest");
        EvaluationReport.Print(testResult);
        AnsiConsole.MarkupLine($"Validation accuracy {validationResult.Metrics.MicroAccuracy:P1}; " +
                               $"[bold]test accuracy {testResult.Metrics.MicroAccuracy:P1}[/].");

        output.SaveModel(mlContext, classifier);
        output.SaveCharts(classifier, testResult, $"{settings.Architecture} on Fashion-MNIST subset");
        output.SaveMetrics(settings, classifier, validationResult, testResult);
        PredictFromReloadedModel(output.ModelPath, test);
        output.PrintSummary();
        return 0;
    }

    private static string Describe(int? value, string automatic) => value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? automatic;

    // What an application does with the zip: a fresh load, a PredictionEngine, top-3 labels (one image per class shown).
    private static void PredictFromReloadedModel(string modelPath, IReadOnlyList<ModelInput> test)
    {
        using var classifier = new NFNetImageClassifier(modelPath);
        var samples = test.GroupBy(t => t.Label).Select(g => g.First()).Take(ImagesToPredict);
        var table = new Table().Title($"Predictions of the reloaded model ({Markup.Escape(Path.GetFileName(modelPath))})")
            .AddColumns("true class", "top-3 predictions");
        foreach (var sample in samples)
            table.AddRow(Markup.Escape(sample.Label), PredictionFormatter.TopK(classifier.PredictTopK(sample.ImageSource), sample.Label));
        AnsiConsole.Write(table);
    }
}
